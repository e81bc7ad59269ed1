/**
 * The frame of every console page: one landmark structure (header with the site navigation,
 * main, footer), the stylesheet and the script served from /assets (shipped in the package, no
 * CDN), and the current page marked with aria-current. Pages work without the script; it only
 * makes the jobs and flow pages live (./assets/console.js).
 */
import { html, type SafeHtml } from './html.ts';

export const NAV = [
  { href: '/', label: 'Search', id: 'search' },
  { href: '/ui/jobs', label: 'Jobs', id: 'jobs' },
  { href: '/ui/dead-letters', label: 'Dead letters', id: 'dead-letters' },
  { href: '/ui/flow', label: 'Flow', id: 'flow' },
  { href: '/ui/ministers', label: 'Ministers', id: 'ministers' },
] as const;

export type PageId = (typeof NAV)[number]['id'] | 'document' | 'job' | 'login';

export interface PageOptions {
  title: string;
  active: PageId;
  /** Shown under the navigation: the store and mode serve runs on. */
  store: string;
}

export function page({ title, active, store }: PageOptions, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · era-ingest</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<p class="brand"><a href="/">era-ingest</a> <span class="store">${store}</span></p>
<nav aria-label="Console">
<ul>${NAV.map((n) => html`<li><a href="${n.href}"${active === n.id ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul>
</nav>
</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.value;
}

/** A notice (an error in role=alert, or a status message in role=status). */
export function notice(kind: 'error' | 'ok', text: string | undefined): SafeHtml | '' {
  if (!text) return '';
  return kind === 'error' ? html`<p class="notice error" role="alert">${text}</p>` : html`<p class="notice ok" role="status">${text}</p>`;
}

/** Date as `2026-12-05 12:03:04` (UTC), machine-readable in a <time>. */
export function time(date: Date): SafeHtml {
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')}</time>`;
}
