/**
 * `/ui/document?id=…`: one document — its current version (title, source, metadata, version,
 * minister and category), its chunks in order with token counts, minister and category, and the
 * history the store keeps (the jobs that carried its versions, with the phase each reached).
 */
import type { DocumentView } from '../../../storage/document-view.ts';
import { html, type SafeHtml } from '../html.ts';
import { time } from '../layout.ts';

export const jobHref = (jobId: string): string => `/ui/job?id=${encodeURIComponent(jobId)}`;

export function documentBody(doc: DocumentView): SafeHtml {
  return html`<dl class="facts">
<dt>Id</dt><dd id="doc-id">${doc.docId}</dd>
<dt>Title</dt><dd>${doc.title ?? '—'}</dd>
<dt>Version</dt><dd>${doc.version}</dd>
<dt>Source</dt><dd>${doc.source ?? '—'}</dd>
<dt>Minister</dt><dd>${doc.ministerId ?? 'routed per chunk'}${doc.category ? ` / ${doc.category}` : ''}</dd>
<dt>Metadata</dt><dd><code>${doc.metadata ? JSON.stringify(doc.metadata) : '—'}</code></dd>
<dt>Stored</dt><dd>${time(doc.updatedAt)}${doc.jobId ? html` by job <a href="${jobHref(doc.jobId)}">${doc.jobId}</a>` : ''}</dd>
</dl>
<h2>Chunks (${doc.chunks.length})</h2>
<ol class="chunks">${doc.chunks.map((k) => html`<li id="chunk-${k.seq}" data-seq="${k.seq}">
<div class="meta">#${k.seq} · ${k.tokenCount} tokens · ${k.ministerId}${k.category ? ` / ${k.category}` : ''}${k.headingPath.length ? ` · ${k.headingPath.join(' › ')}` : ''} · ${k.model}</div>
<pre class="chunk">${k.text}</pre></li>`)}</ol>
<h2>History</h2>
${doc.jobs.length === 0 ? html`<p class="meta">No job recorded for this document.</p>` : html`<table>
<caption>Jobs that carried a version of this document, newest first (the store keeps the current version's text only)</caption>
<thead><tr><th scope="col">Job</th><th scope="col">Phase</th><th scope="col">When</th><th scope="col">Failure</th></tr></thead>
<tbody>${doc.jobs.map((h) => html`<tr><td><a href="${jobHref(h.jobId)}">${h.jobId}</a></td><td class="phase-${h.phase}">${h.phase}</td><td>${time(h.updatedAt)}</td><td>${h.errorCode ? `${h.stage ?? ''} ${h.errorCode}: ${h.errorMessage ?? ''}` : ''}</td></tr>`)}</tbody>
</table>`}`;
}
