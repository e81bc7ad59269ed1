/**
 * `/ui/dead-letters?stage=&code=`: the dead letters by stage and error code with their error
 * headers, and a replay form (POST, same rules as `era-ingest dlq replay`: each letter once to
 * its original place unless "all" is ticked), which needs the API token when one is set.
 */
import type { DeadLetterView } from '../../ports.ts';
import { html, type SafeHtml } from '../html.ts';
import { time } from '../layout.ts';
import { documentHref } from './search.ts';

export interface DeadLettersView {
  letters: readonly DeadLetterView[];
  filter: { stage: string; code: string };
  stages: readonly string[];
  message?: string;
}

/** What the letter's error headers (era.dlq) or its row (the store) say beside stage, code and message. */
function errorFacts(l: DeadLetterView): Array<[string, string]> {
  const facts: Array<[string, string]> = [];
  if (l.kafka) facts.push(['era.dlq.original.topic', l.kafka.originalTopic], ['era.dlq.original.partition', String(l.kafka.originalPartition)], ['era.dlq.original.offset', l.kafka.originalOffset], ['era.dlq position', `${l.kafka.partition}:${l.kafka.offset}`]);
  if (l.origin) facts.push(['origin', l.origin]);
  if (l.jobId) facts.push(['job', l.jobId]);
  facts.push(['replayed', l.replayedAt ?? 'not yet']);
  return facts;
}

export function deadLettersBody(view: DeadLettersView): SafeHtml {
  const { filter } = view;
  const counts = new Map<string, number>();
  for (const l of view.letters) counts.set(`${l.stage} ${l.code}`, (counts.get(`${l.stage} ${l.code}`) ?? 0) + 1);
  return html`<form class="search" method="get" action="/ui/dead-letters">
<label>Stage <select name="stage"><option value="">any</option>${view.stages.map((s) => html`<option value="${s}"${s === filter.stage ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>Error code <input type="text" name="code" value="${filter.code}" placeholder="EMBEDDER_REJECTED_INPUT"></label>
<button type="submit">Filter</button>
</form>
${view.message ? html`<p class="notice ok" role="status" id="replay-result">${view.message}</p>` : ''}
${view.letters.length === 0 ? html`<p class="meta" id="no-letters">No dead letters${filter.stage || filter.code ? ' match' : ''}.</p>` : html`
<p class="meta">${[...counts].map(([k, n]) => `${k}: ${n}`).join(' · ')}</p>
<table id="dead-letters">
<caption>Dead letters, oldest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Stage</th><th scope="col">Code</th><th scope="col">Document</th><th scope="col" class="num">Attempts</th><th scope="col">Error</th></tr></thead>
<tbody>${view.letters.map((l) => html`<tr data-letter="${l.id}" data-replayed="${l.replayedAt ? 'yes' : 'no'}"><td>${time(new Date(l.failedAt))}</td><td>${l.stage}</td><td><code>${l.code}</code></td><td>${l.docId ? html`<a href="${documentHref(l.docId)}">${l.docId}</a>` : '—'}</td><td class="num">${l.attempts}</td>
<td>${l.message}<details><summary>details</summary><dl class="facts">${errorFacts(l).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></details></td></tr>`)}</tbody>
</table>`}
<h2>Replay</h2>
<form method="post" action="/ui/dead-letters/replay" id="replay">
<input type="hidden" name="stage" value="${filter.stage}"><input type="hidden" name="code" value="${filter.code}">
<p>Re-run the dead letters${filter.stage ? ` of stage ${filter.stage}` : ''}${filter.code ? ` with code ${filter.code}` : ''} from their original place, after the cause is fixed.</p>
<label style="flex-direction:row;gap:6px"><input type="checkbox" name="all" value="1"> also those replayed before</label>
<p><button type="submit">Replay</button></p>
</form>`;
}
