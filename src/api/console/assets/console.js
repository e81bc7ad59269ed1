// era-ingest console: live regions. An element with data-refresh="<url>" is re-rendered by the
// server every data-every ms (default 2000): its content is replaced by the HTML the URL answers
// (the same page as a fragment). It stops once the new content holds an element with data-final
// (a job that is done). Without this script the pages are complete, only not live.
(function () {
  'use strict';
  function live(el) {
    var every = Number(el.getAttribute('data-every')) || 2000;
    var url = el.getAttribute('data-refresh');
    var timer = setInterval(function () {
      fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (text) {
          if (text === null) return;
          el.innerHTML = text;
          el.setAttribute('data-updated', String(Date.now()));
          if (el.querySelector('[data-final]')) clearInterval(timer);
        })
        .catch(function () { /* the next tick tries again */ });
    }, every);
    if (el.querySelector('[data-final]')) clearInterval(timer);
  }
  document.addEventListener('DOMContentLoaded', function () {
    var els = document.querySelectorAll('[data-refresh]');
    for (var i = 0; i < els.length; i++) live(els[i]);
  });
})();
