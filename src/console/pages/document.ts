/**
 * `/ui/document?id=…`: one document — its current version (title, source, metadata, version,
 * minister and category), its chunks in order with token counts, minister and category, and the
 * history the store keeps (the jobs that carried its versions; a deletion).
 */
import type { DocumentDetail } from '../../storage/document-detail.ts';
import { html, type SafeHtml } from '../html.ts';
import { time } from '../layout.ts';

export const jobHref = (jobId: string): string => `/ui/job?id=${encodeURIComponent(jobId)}`;

export function documentBody(doc: DocumentDetail): SafeHtml {
  const c = doc.current;
  return html`${c ? html`<dl class="facts">
<dt>Id</dt><dd id="doc-id">${doc.docId}</dd>
<dt>Title</dt><dd>${c.title ?? '—'}</dd>
<dt>Version</dt><dd>${c.version}</dd>
<dt>Source</dt><dd>${c.source ?? '—'}</dd>
<dt>Minister</dt><dd>${c.ministerId ?? 'routed per chunk'}${c.category ? ` / ${c.category}` : ''}</dd>
<dt>Metadata</dt><dd><code>${c.metadata ? JSON.stringify(c.metadata) : '—'}</code></dd>
<dt>Stored</dt><dd>${time(c.updatedAt)}${c.jobId ? html` by job <a href="${jobHref(c.jobId)}">${c.jobId}</a>` : ''}</dd>
</dl>
<h2>Chunks (${c.chunks.length})</h2>
<ol class="chunks">${c.chunks.map((k) => html`<li id="chunk-${k.seq}" data-seq="${k.seq}">
<div class="meta">#${k.seq} · ${k.tokenCount} tokens · ${k.ministerId}${k.category ? ` / ${k.category}` : ''}${k.headingPath.length ? ` · ${k.headingPath.join(' › ')}` : ''} · ${k.model}</div>
<pre class="chunk">${k.text}</pre></li>`)}</ol>`
    : html`<p class="notice error" role="alert">${doc.docId} has no current version${doc.deleted ? html` (deleted ${time(doc.deleted.at)}, version ${doc.deleted.version})` : ''}.</p>`}
<h2>History</h2>
${doc.history.length === 0 ? html`<p class="meta">No job recorded for this document.</p>` : html`<table>
<caption>Jobs that carried a version of this document, newest first</caption>
<thead><tr><th scope="col">Job</th><th scope="col">Phase</th><th scope="col">When</th><th scope="col">Failure</th></tr></thead>
<tbody>${doc.history.map((h) => html`<tr><td><a href="${jobHref(h.jobId)}">${h.jobId}</a></td><td class="phase-${h.phase}">${h.phase}</td><td>${time(h.at)}</td><td>${h.errorCode ? `${h.stage ?? ''} ${h.errorCode}: ${h.errorMessage ?? ''}` : ''}</td></tr>`)}</tbody>
</table>`}`;
}
