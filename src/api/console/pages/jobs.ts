/**
 * `/ui/jobs` (recent jobs) and `/ui/job?id=…` (one job): documents per phase in the dataflow's
 * phase order (queued → one per stage → complete/failed), the share done, and the failures with
 * their reasons. Both are live: the script re-renders them from `?fragment=1` (a job stops
 * refreshing once it is done).
 */
import type { JobSummary } from '../../../storage/jobs.ts';
import { html, type SafeHtml } from '../html.ts';
import { time } from '../layout.ts';
import { documentHref } from './search.ts';
import { jobHref } from './document.ts';

const pct = (done: number): string => `${(done * 100).toFixed(1)}%`;

export function jobsFragment(jobs: readonly JobSummary[], phases: readonly string[]): SafeHtml {
  if (jobs.length === 0) return html`<p class="meta">No job yet: publish documents or submit them to POST /documents.</p>`;
  return html`<table id="jobs">
<caption>Recent jobs, newest first</caption>
<thead><tr><th scope="col">Job</th><th scope="col">Submitted</th><th scope="col" class="num">Documents</th>${phases.map((p) => html`<th scope="col" class="num">${p}</th>`)}<th scope="col">Done</th></tr></thead>
<tbody>${jobs.map((j) => html`<tr data-job-id="${j.jobId}"><td><a href="${jobHref(j.jobId)}">${j.jobId}</a></td><td>${time(j.submittedAt)}</td><td class="num">${j.docCount}</td>${phases.map((p) => html`<td class="num" data-phase="${p}">${j.phases[p] ?? 0}</td>`)}<td>${pct(j.done)}</td></tr>`)}</tbody>
</table>`;
}

export function jobFragment(job: JobSummary, phases: readonly string[]): SafeHtml {
  const finished = job.done >= 1;
  return html`<div id="job" data-state="${finished ? 'done' : 'running'}"${finished ? html` data-final` : ''}>
<p><progress max="1" value="${job.done}" aria-label="share of documents done">${pct(job.done)}</progress> <span id="job-done">${pct(job.done)}</span> of ${job.docCount} documents done${finished ? '' : ' (live)'}</p>
<table>
<caption>Documents per phase</caption>
<thead><tr><th scope="col">Phase</th><th scope="col" class="num">Documents</th></tr></thead>
<tbody>${phases.map((p) => html`<tr><th scope="row" class="phase-${p}">${p}</th><td class="num" data-phase="${p}">${job.phases[p] ?? 0}</td></tr>`)}</tbody>
</table>
${job.failures.length ? html`<h2>Failures</h2><table id="failures"><thead><tr><th scope="col">Document</th><th scope="col">Stage</th><th scope="col">Code</th><th scope="col">Reason</th></tr></thead>
<tbody>${job.failures.map((f) => html`<tr><td><a href="${documentHref(f.docId)}">${f.docId}</a></td><td>${f.stage ?? ''}</td><td>${f.code ?? ''}</td><td>${f.message ?? ''}</td></tr>`)}</tbody></table>` : ''}
</div>`;
}

export function liveRegion(url: string, every: number, content: SafeHtml): SafeHtml {
  return html`<div data-refresh="${url}" data-every="${every}" aria-live="polite">${content}</div>`;
}
