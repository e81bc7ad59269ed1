/**
 * `/ui/ministers`: each minister with its description, entry count, categories with their entry
 * counts, a sample of its entries, and its export (`/ui/ministers/export?minister=…`: JSON Lines,
 * the profile then one line per current entry, as `era-ingest ministers export` writes them).
 */
import type { MinisterAggregate } from '../../../storage/ministers.ts';
import { html, type SafeHtml } from '../html.ts';
import { documentHref } from './search.ts';

export interface MinisterCard {
  minister: MinisterAggregate;
  sample: Array<{ docId: string; title: string | null; category: string | null; text: string }>;
}

export function ministersBody(cards: readonly MinisterCard[]): SafeHtml {
  if (cards.length === 0) return html`<p class="meta">No minister yet: ingest documents first.</p>`;
  return html`${cards.map(({ minister: m, sample }) => html`<section class="minister" id="minister-${m.ministerId}" data-minister="${m.ministerId}">
<h2>${m.name} <span class="meta">(${m.ministerId}) · <span data-entries>${m.entryCount}</span> entries</span></h2>
${m.description ? html`<p>${m.description}</p>` : ''}
<table><caption>Categories</caption><thead><tr><th scope="col">Category</th><th scope="col" class="num">Entries</th></tr></thead>
<tbody>${Object.entries(m.categories).sort((a, b) => b[1] - a[1]).map(([c, n]) => html`<tr><td>${c}</td><td class="num">${n}</td></tr>`)}</tbody></table>
${sample.length ? html`<h3>Sample entries</h3><ul>${sample.map((s) => html`<li><a href="${documentHref(s.docId)}">${s.title ?? s.docId}</a>${s.category ? html` <span class="meta">${s.category}</span>` : ''}: ${s.text.slice(0, 160)}${s.text.length > 160 ? '…' : ''}</li>`)}</ul>` : ''}
<p><a href="/ui/ministers/export?minister=${encodeURIComponent(m.ministerId)}" download="${m.ministerId}.jsonl">Export ${m.ministerId} (JSON Lines)</a></p>
</section>`)}`;
}
