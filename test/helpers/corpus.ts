/**
 * A deterministic corpus of varied, realistic documents for pipeline tests: Markdown with
 * headings, several paragraphs, across the shipped ministers' domains, different lengths.
 */
import type { RawDocument } from '../../src/topics/messages.ts';

const PARAGRAPHS: Record<string, string[]> = {
  finance: [
    'The treasury published the quarterly budget review on Monday. Revenue from income tax rose faster than forecast, while spending on debt interest fell as bond yields eased.',
    'Inflation slowed for the third consecutive month, giving the central bank room to hold interest rates steady. Economists expect the deficit to narrow if wage growth stays moderate.',
    'A new fiscal rule caps borrowing at three percent of output. Ministers argue it will restore confidence in public finances; critics say it limits investment in infrastructure.',
    'Customs receipts and excise duties on fuel were below plan, and the finance committee asked for a revised estimate of value added tax collections before the spring statement.',
  ],
  health: [
    'Hospital waiting lists fell for the first time in two years after clinics extended evening appointments. Nurses reported fewer emergency admissions during the winter months.',
    'The vaccination campaign reached eighty percent of adults over sixty. Public health officials urged patients with chronic conditions to book a booster at their local pharmacy.',
    'A study of general practice found that longer consultations reduced repeat visits. Doctors asked for funding to hire more practice nurses and mental health counsellors.',
    'Ambulance response times improved after the service introduced a triage line staffed by paramedics, so that callers with minor injuries are directed to urgent care centres.',
  ],
  defence: [
    'The armed forces completed a joint exercise with allied navies in the northern sea. Commanders tested air defence systems and the coordination of frigates and patrol aircraft.',
    'Procurement of new armoured vehicles was delayed by supply problems. The defence ministry said soldiers would keep their current equipment until the first battalion is re-equipped.',
    'Cyber security teams from the military and intelligence agencies rehearsed a response to an attack on satellite communications used by troops deployed abroad.',
  ],
  education: [
    'Schools reported higher attendance after the free breakfast programme was extended. Teachers said pupils arrived on time and concentrated better in morning lessons.',
    'Universities agreed a new framework for student loans and tuition fees. Vice-chancellors warned that research funding must keep pace with rising enrolment.',
    'The curriculum review recommends more time for reading and mathematics in primary school, and a vocational qualification that colleges can offer alongside apprenticeships.',
  ],
  environment: [
    'River pollution from farm runoff fell after new rules on fertiliser storage. Conservation groups counted more otters and kingfishers along the restored wetlands.',
    'The government set a target to plant thirty thousand hectares of woodland a year. Foresters said native species would be chosen to protect biodiversity and soils.',
    'Carbon emissions from power generation dropped as wind and solar farms supplied a record share of electricity. Grid operators invested in storage to balance supply.',
  ],
  justice: [
    'Courts cleared part of the backlog of criminal trials by sitting on Saturdays. Judges and magistrates welcomed extra funding for legal aid and victim support services.',
    'Prison inspectors found overcrowding in older jails and recommended more rehabilitation programmes. Probation officers asked for smaller caseloads.',
  ],
};

const TOPICS = Object.keys(PARAGRAPHS);

/** Document `i` of the corpus: same i → same document. `revision` changes its content. */
export function corpusDocument(i: number, revision = 0, jobId?: string): RawDocument {
  const topic = TOPICS[i % TOPICS.length]!;
  const pool = PARAGRAPHS[topic]!;
  const sections = 1 + (i % 3);
  const lines = [`# Report ${i} on ${topic}`, ''];
  for (let s = 0; s < sections; s++) {
    lines.push(`## Section ${s + 1}`, '');
    const count = 1 + ((i + s) % pool.length);
    for (let p = 0; p < count; p++) lines.push(pool[(i + s + p) % pool.length]!, '');
  }
  lines.push(`Reference number ${i}-${revision}. Filed under ${topic}.`);
  if (revision > 0) lines.push('', `Revision ${revision}: the figures above were corrected after review on day ${revision}.`);
  const doc: RawDocument = { id: `doc-${i}`, text: lines.join('\n'), title: `Report ${i}`, source: `test://corpus/${i}`, metadata: { topic, index: i } };
  if (jobId) doc.jobId = jobId;
  return doc;
}

export function corpus(count: number, revision = 0, jobId?: string): RawDocument[] {
  return Array.from({ length: count }, (_, i) => corpusDocument(i, revision, jobId));
}
