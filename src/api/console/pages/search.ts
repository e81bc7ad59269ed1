/**
 * `/`: the search page. Reads its query and filters from the URL (`/?q=…&mode=…&minister=…`), so
 * a search can be linked and bookmarked, and renders the results on the server (no script
 * needed). Each hit: rank, score, title linking to its document, heading path, minister and
 * category, source, and the matched passage with the matched words marked (`«…»` → <mark>).
 */
import type { SearchMode } from '../../../storage/hybrid-search.ts';
import type { MinisterAggregate } from '../../../storage/ministers.ts';
import type { SearchHit } from '../../../storage/search.ts';
import { html, type SafeHtml } from '../html.ts';

export interface SearchForm {
  q: string;
  mode: SearchMode;
  minister: string;
  category: string;
  source: string;
  k: number;
}

export interface SearchView {
  form: SearchForm;
  modes: readonly SearchMode[];
  ministers: readonly MinisterAggregate[];
  counts: { documents: number; chunks: number };
  /** Absent when nothing was asked. */
  result?: { hits: SearchHit[]; model: string } | { error: string };
}

/** The passage with the search's «marks» as <mark> elements (everything else escaped). */
export function markedPassage(passage: string): SafeHtml {
  const parts = passage.split(/«|»/);
  return html`${parts.map((part, i) => (i % 2 === 1 ? html`<mark>${part}</mark>` : part))}`;
}

export const documentHref = (docId: string): string => `/ui/document?id=${encodeURIComponent(docId)}`;

function hitItem(hit: SearchHit): SafeHtml {
  const ranks = Object.entries(hit.ranks).map(([mode, rank]) => `${mode} #${rank}`).join(', ');
  return html`<li class="hit" data-doc-id="${hit.docId}">
<a class="hit-title" href="${documentHref(hit.docId)}">${hit.title ?? hit.docId}</a>
<span class="score" title="${ranks}">score ${hit.score.toFixed(4)}${ranks ? ` (${ranks})` : ''}</span>
${hit.headingPath.length ? html`<div class="meta heading-path">${hit.headingPath.join(' › ')}</div>` : ''}
<p class="passage">${markedPassage(hit.passage.length > 480 ? `${hit.passage.slice(0, 480)}…` : hit.passage)}</p>
<div class="meta">${hit.ministerId}${hit.category ? ` / ${hit.category}` : ''} · ${hit.docId}${hit.source ? html` · <span class="source">${hit.source}</span>` : ''}</div>
</li>`;
}

export function searchBody(view: SearchView): SafeHtml {
  const { form } = view;
  const option = (value: string, label: string, selected: boolean): SafeHtml => html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  const categories = [...new Set(view.ministers.flatMap((m) => Object.keys(m.categories)))].sort();
  const result = view.result;
  return html`<form class="search" method="get" action="/" role="search">
<label class="q">Query <input type="search" name="q" value="${form.q}" placeholder="what are you looking for?" autofocus></label>
<label>Mode <select name="mode">${view.modes.map((m) => option(m, m, m === form.mode))}</select></label>
<label>Minister <select name="minister">${option('', 'any', form.minister === '')}${view.ministers.map((m) => option(m.ministerId, m.name, m.ministerId === form.minister))}</select></label>
<label>Category <select name="category">${option('', 'any', form.category === '')}${categories.map((c) => option(c, c, c === form.category))}</select></label>
<label>Source starts with <input type="text" name="source" value="${form.source}" placeholder="file:///docs/"></label>
<label>Results <input type="number" name="k" min="1" max="100" value="${form.k}"></label>
<button type="submit">Search</button>
</form>
${result === undefined
    ? html`<p class="meta">${view.counts.documents} documents, ${view.counts.chunks} chunks in the store.</p>`
    : 'error' in result
      ? html`<p class="notice error" role="alert">${result.error}</p>`
      : html`<p class="meta" id="result-count" role="status">${result.hits.length} results (${form.mode}, model ${result.model})</p>
<ol class="hits">${result.hits.map(hitItem)}</ol>`}`;
}
