"""The playground page's style sheet and script, served inline with the page.

The script is small on purpose: it sends what the person does (a command, a click, a submitted
form) to the playground, and on each server-sent event fetches the new state and swaps the
parts that changed. A modal being filled in is only replaced when the bot changed the view.
It behaves as Slack's client does where a person would notice: menus close on Escape or a
click elsewhere, one open at a time; a clicked button shows it is at work; a closed modal gives
the focus back; a command's answer scrolls into view.
"""

from __future__ import annotations

PAGE_CSS = """
:root { --ink:#1d1c1d; --muted:#616061; --line:#e2e2e2; --side:#3f0e40; --accent:#007a5a;
  --danger:#e01e5a; --link:#1264a3; --eph:#f8f8f8; font-family: system-ui, -apple-system,
  "Segoe UI", Roboto, sans-serif; color: var(--ink); }
* { box-sizing: border-box; }
[hidden] { display:none !important; }
body { margin:0; display:flex; height:100vh; overflow:hidden; font-size:15px; line-height:1.45; }
.skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; z-index:9;
  background:#fff; padding:4px 8px; }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); }
.sidebar { width:240px; flex:none; background:var(--side); color:#fff; padding:12px;
  display:flex; flex-direction:column; gap:12px; overflow:auto; }
.workspace { font-weight:700; font-size:17px; }
.nav-item { display:block; width:100%; text-align:left; background:none; border:0; color:#e8d9e8;
  padding:6px 8px; border-radius:6px; font:inherit; cursor:pointer; }
.nav-item.active { background:#1164a3; color:#fff; }
.person { display:flex; flex-direction:column; gap:4px; font-size:13px; }
.person select { font:inherit; padding:4px; }
.note { font-size:12px; color:#cdbfcd; }
.notice { margin:0; font-size:12px; padding:6px 8px; border-radius:6px; background:#e8f5ef;
  color:#0b4d36; }
.notice.danger { background:#b3261e; color:#fff; font-weight:700; font-size:13px; }
main { flex:1; display:flex; min-width:0; position:relative; }
.pane { flex:1; display:flex; flex-direction:column; min-width:0; }
.channel-header { border-bottom:1px solid var(--line); padding:8px 16px; display:flex;
  align-items:center; justify-content:space-between; }
.channel-header h1, .channel-header h2 { font-size:18px; margin:0; }
.messages { flex:1; overflow:auto; padding:8px 16px; }
.message { padding:8px 0; border-bottom:1px solid #f3f3f3; max-width:820px; }
.message.ephemeral { background:var(--eph); border-left:3px solid #bbb; padding-left:8px; }
.author { font-weight:700; } .app { font-size:10px; background:#ddd; color:#555;
  padding:1px 4px; border-radius:3px; vertical-align:middle; }
.only-you, .edited, .author time { font-weight:400; color:var(--muted); font-size:12px; }
.block { margin:4px 0; }
.header { font-size:17px; }
.section { display:flex; gap:12px; justify-content:space-between; align-items:flex-start; }
.section .main { min-width:0; }
.fields { display:grid; grid-template-columns:1fr 1fr; gap:4px 16px; margin-top:4px; }
.context { color:var(--muted); font-size:13px; display:flex; gap:6px; flex-wrap:wrap;
  align-items:center; }
.context-image { width:16px; height:16px; }
.thumb { width:72px; height:72px; object-fit:cover; border-radius:6px; }
.image img { max-width:100%; max-height:360px; }
.divider { border:0; border-top:1px solid var(--line); }
.actions { display:flex; gap:8px; flex-wrap:wrap; align-items:center; }
.btn { font:inherit; font-size:14px; font-weight:600; padding:4px 12px; border:1px solid #bbb;
  border-radius:6px; background:#fff; color:var(--ink); cursor:pointer; text-decoration:none;
  min-height:32px; display:inline-flex; align-items:center; list-style:none; }
.btn-primary { background:var(--accent); color:#fff; border-color:var(--accent); }
.btn-danger { background:#fff; color:var(--danger); border-color:var(--danger); }
.btn.working { opacity:.55; cursor:progress; position:relative; }
.btn.working::after { content:""; width:10px; height:10px; margin-left:6px; border-radius:50%;
  border:2px solid currentColor; border-right-color:transparent;
  animation:spin .8s linear infinite; }
@keyframes spin { to { transform:rotate(360deg); } }
.message { scroll-margin-bottom:72px; }
button:focus-visible, a:focus-visible, select:focus-visible, input:focus-visible,
textarea:focus-visible, summary:focus-visible { outline:3px solid #1d9bd1; outline-offset:1px; }
.overflow { position:relative; display:inline-block; }
.overflow summary::-webkit-details-marker { display:none; }
.overflow ul { position:absolute; right:0; z-index:3; background:#fff; border:1px solid #ccc;
  border-radius:6px; list-style:none; margin:4px 0; padding:4px; min-width:180px;
  box-shadow:0 4px 12px rgba(0,0,0,.15); }
.overflow-item { display:block; width:100%; text-align:left; background:none; border:0;
  padding:6px 8px; font:inherit; cursor:pointer; border-radius:4px; }
.overflow-item:hover, .overflow-item:focus { background:#1264a3; color:#fff; }
.mention { background:#e8f5fa; color:var(--link); border-radius:3px; padding:0 2px; }
a { color:var(--link); }
code { background:#f4f4f4; border:1px solid #e6e6e6; border-radius:3px; padding:0 3px;
  color:#c01343; font-size:13px; }
pre { background:#f8f8f8; border:1px solid #e6e6e6; padding:8px; white-space:pre-wrap; }
blockquote { border-left:4px solid #ddd; margin:0; padding-left:8px; }
.thread-link { background:none; border:0; color:var(--link); font:inherit; font-weight:600;
  cursor:pointer; padding:2px 0; }
.thread { width:380px; flex:none; border-left:1px solid var(--line); overflow:auto; background:#fff; }
.thread #thread { padding:8px 16px; }
.replies { margin-left:8px; border-left:2px solid var(--line); padding-left:8px; }
.composer { border-top:1px solid var(--line); padding:8px 16px; display:flex; gap:8px;
  flex-wrap:wrap; }
.composer input { flex:1; font:inherit; padding:8px; border:1px solid #bbb; border-radius:6px;
  min-width:0; }
.composer-error { width:100%; color:var(--danger); font-size:13px; }
.composer-error:empty { display:none; }
.problems:empty { display:none; }
.problems { margin:0 16px; padding:8px; border:1px solid var(--danger); border-radius:6px;
  background:#fdf0f4; color:#8a1538; font-size:13px; max-height:30vh; overflow:auto; }
.problems h2 { font-size:14px; margin:0 0 4px; }
.unsupported { border:1px dashed var(--danger); color:#8a1538; padding:4px 8px; border-radius:4px;
  font-size:13px; }
.empty { color:var(--muted); }
.layer { position:fixed; inset:0; background:rgba(0,0,0,.45); display:flex; align-items:center;
  justify-content:center; z-index:10; padding:12px; }
.layer[hidden] { display:none; }
.modal, .confirm { background:#fff; border-radius:8px; width:520px; max-width:100%;
  max-height:calc(100vh - 24px); display:flex; flex-direction:column;
  box-shadow:0 10px 30px rgba(0,0,0,.3); }
.modal header, .confirm header { padding:16px 20px 8px; display:flex;
  justify-content:space-between; align-items:center; }
.modal h2, .confirm h2 { margin:0; font-size:20px; }
.close-x { background:none; border:0; font-size:24px; cursor:pointer; line-height:1; }
.modal-body { padding:4px 20px; overflow:auto; }
.modal footer, .confirm footer { padding:12px 20px; display:flex; justify-content:flex-end;
  gap:8px; border-top:1px solid var(--line); }
.confirm .confirm-text { padding:4px 20px 16px; }
.input { display:flex; flex-direction:column; gap:4px; margin:12px 0; }
.label { font-weight:700; } .optional { font-weight:400; color:var(--muted); }
.input input[type=text], .input input[type=date], .input select, .input textarea,
.input input[type=email], .input input[type=url] { font:inherit; padding:8px; border:1px solid #bbb;
  border-radius:6px; width:100%; }
.input textarea { min-height:80px; }
.hint { color:var(--muted); font-size:13px; }
.field-error { color:var(--danger); font-size:13px; }
.input.has-error input, .input.has-error select, .input.has-error textarea {
  border-color:var(--danger); }
.client-error { color:var(--danger); font-size:13px; }
.choices { border:0; padding:0; margin:0; display:flex; flex-direction:column; gap:4px; }
.choice .description { display:block; color:var(--muted); font-size:13px; margin-left:22px; }
@media (max-width: 700px) {
  body { flex-direction:column; height:auto; min-height:100vh; overflow:auto; }
  .sidebar { width:auto; flex-direction:row; flex-wrap:wrap; align-items:center; padding:8px; }
  .sidebar nav { display:flex; gap:4px; } .nav-item { width:auto; } .note { display:none; }
  .workspace { width:100%; font-size:15px; } .notice { width:100%; }
  main { flex-direction:column; }
  .messages { padding:8px; overflow:visible; }
  .section { flex-direction:column; }
  .fields { grid-template-columns:1fr; }
  .thread { width:auto; border-left:0; border-top:2px solid var(--line); }
  .composer { position:sticky; bottom:0; background:#fff; }
  .modal header, .modal-body, .modal footer { padding-left:12px; padding-right:12px; }
}
"""

PAGE_JS = r"""
(() => {
  const $ = (s, root = document) => root.querySelector(s);
  const params = new URLSearchParams(location.search);
  if (params.has('token')) {
    // The token is now the page's cookie: out of the address bar (and of screen shares).
    const u = new URL(location); u.searchParams.delete('token'); history.replaceState(null, '', u);
  }
  const person = $('#person');
  if (params.get('as')) person.value = params.get('as');
  let thread = null, tab = 'channel', modalKey = null, busy = 0, following = 0;

  const post = async (path, body) => {
    busy++; document.body.dataset.busy = busy;
    try {
      const r = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({user: person.value, ...body})});
      return r.ok ? await r.json() : {error: await r.text()};
    } finally { busy--; document.body.dataset.busy = busy; }
  };

  // Live updates redraw messages; whatever had the keyboard focus keeps it.
  function focusKey(el) {
    const esc = v => CSS.escape(v || '');
    if (el.dataset.thread) return `[data-thread="${esc(el.dataset.thread)}"]`;
    const ts = el.closest('[data-ts]')?.dataset.ts, block = el.closest('[data-block]')?.dataset.block;
    if (!ts) return null;
    let key = `[data-ts="${esc(ts)}"]` + (block ? ` [data-block="${esc(block)}"]` : '');
    if (el.dataset.actionId) {
      key += ` [data-action-id="${esc(el.dataset.actionId)}"]`;
      if (el.dataset.value !== undefined) key += `[data-value="${esc(el.dataset.value)}"]`;
    } else if (el.tagName === 'SUMMARY') key += ' summary';
    else return null;
    return key;
  }
  // The same control when its value changed with the redraw (a card's version, say).
  const loosely = key => key.replace(/\[data-value="[^\]]*"\]$/, '');
  // Messages are redrawn one by one: only those that changed are replaced, so a click on
  // another message is never lost to an update that has nothing to do with it.
  const keyOf = el => el.dataset.ts;
  // What the server drew, whatever the page added since (a button's working state).
  const drawn = el => el.drawnAs ?? el.outerHTML;
  function keyed(elements) {
    const keys = elements.map(keyOf);
    return keys.every(Boolean) && new Set(keys).size === keys.length;
  }
  function swap(container, markup) {
    if (container.innerHTML === markup) return;
    const active = document.activeElement;
    const key = active && container.contains(active) ? focusKey(active) : null;
    const next = document.createElement('div');
    next.innerHTML = markup;
    const wanted = [...next.children], shown = [...container.children];
    if (shown.length && keyed(wanted) && keyed(shown)) {
      const old = new Map(shown.map(el => [keyOf(el), el]));
      wanted.forEach((fresh, i) => {
        const was = old.get(keyOf(fresh));
        const el = was && drawn(was) === fresh.outerHTML ? was : fresh;
        el.drawnAs = fresh.outerHTML;
        const at = container.children[i];
        if (at !== el) container.insertBefore(el, at || null);
        if (was && was !== el) was.remove();
      });
      while (container.children.length > wanted.length) container.lastElementChild.remove();
    } else {
      container.innerHTML = markup;
      [...container.children].forEach(el => { el.drawnAs = el.outerHTML; });
    }
    if (key && !container.contains(document.activeElement))
      (container.querySelector(key) || container.querySelector(loosely(key)))?.focus();
  }

  // As in Slack, what a person entered in a modal's inputs stays when the bot updates the view
  // (same block_id and action_id); untouched inputs show the view's new initial values.
  const fieldKey = el => `[data-input="${CSS.escape(el.closest('[data-input]').dataset.input)}"]` +
    ` [data-action-id="${CSS.escape(el.dataset.actionId)}"]` +
    (el.type === 'checkbox' || el.type === 'radio' ? `[value="${CSS.escape(el.value)}"]` : '');
  function entered(layer) {
    const form = layer.querySelector('[data-view-id]');
    if (!form) return null;
    const fields = [...form.querySelectorAll('[data-input] [data-action-id][data-touched]')]
      .map(el => ({key: fieldKey(el), value: el.value, checked: el.checked, option: el.dataset.option,
                   files: el.type === 'file' ? [...el.files] : null}));
    const active = form.contains(document.activeElement) &&
      document.activeElement.closest('[data-input]') && document.activeElement.dataset.actionId ?
      {key: fieldKey(document.activeElement), at: document.activeElement.selectionStart} : null;
    const index = focusables(form).indexOf(document.activeElement);  // a button, say
    return {view: form.dataset.viewId, fields, active, index};
  }
  function focusables(form) { return [...form.querySelectorAll('button, input, select, textarea, summary')]; }
  function restore(layer, kept) {
    const form = layer.querySelector('[data-view-id]');
    if (!kept || !form || form.dataset.viewId !== kept.view) return false;
    for (const f of kept.fields) {
      const el = form.querySelector(f.key);
      if (!el) continue;
      el.dataset.touched = '1';
      if (el.type === 'checkbox' || el.type === 'radio') el.checked = f.checked;
      else if (el.type === 'file') { const dt = new DataTransfer(); f.files.forEach(x => dt.items.add(x)); el.files = dt.files; }
      else el.value = f.value;
      if (f.option === undefined) delete el.dataset.option; else el.dataset.option = f.option;
    }
    // The same view redrawn: the focus stays where the person had it (a new view takes it).
    const el = kept.active && form.querySelector(kept.active.key);
    if (el) {
      el.focus();
      if (typeof kept.active.at === 'number' && el.setSelectionRange) el.setSelectionRange(kept.active.at, kept.active.at);
    } else if (kept.index >= 0) focusables(form)[kept.index]?.focus();
    return true;
  }
  const touched = e => {
    const el = e.target.closest('#modal-layer [data-input] [data-action-id]');
    if (!el) return;
    if (el.type === 'radio') el.closest('fieldset').querySelectorAll('input').forEach(i => i.dataset.touched = '1');
    el.dataset.touched = '1';
  };
  document.addEventListener('input', touched, true);
  document.addEventListener('change', touched, true);

  async function refresh() {
    const q = new URLSearchParams({user: person.value, thread: thread || ''});
    const s = await (await fetch('/ui/state?' + q)).json();
    const box = $('#messages');
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    // A menu left open stays open when the message around it is redrawn.
    const open = [...document.querySelectorAll('#messages details[open]')].map(d =>
      `[data-ts="${d.closest('[data-ts]')?.dataset.ts}"] [data-block="${d.closest('[data-block]')?.dataset.block}"] details`);
    const last = box.lastElementChild?.dataset.ts;
    swap(box, s.channel);
    open.slice(-1).forEach(sel => { const d = $('#messages ' + sel); if (d) d.open = true; });
    if (atBottom) box.scrollTop = box.scrollHeight;
    // After a command, its answer comes into view, on a phone too (where the page scrolls).
    if (following && Date.now() < following && box.lastElementChild?.dataset.ts !== last)
      box.lastElementChild.scrollIntoView({block: 'end'});
    swap($('#home'), s.home);
    swap($('#dm'), s.dm);
    swap($('#thread'), s.thread);
    $('#thread-pane').hidden = !thread;
    $('#problems').innerHTML = s.problems.length ?
      '<h2>Slack would reject this</h2><ul>' + s.problems.map(p => `<li>${p}</li>`).join('') +
      '</ul>' : '';
    if (s.modal_key !== modalKey) {
      const wasOpen = !!modalKey;
      modalKey = s.modal_key;
      const layer = $('#modal-layer');
      const kept = entered(layer);
      layer.innerHTML = s.modal; layer.hidden = !s.modal;
      if (s.modal && !restore(layer, kept))
        (layer.querySelector('input, select, textarea, button[type=submit]') ||
         layer.querySelector('button'))?.focus();
      if (!s.modal && wasOpen) giveBackFocus();
    }
    settle();
    document.body.dataset.version = s.version;
  }

  const events = new EventSource('/ui/events');
  events.onmessage = () => refresh();

  function confirmFirst(el) {
    if (!el.dataset.confirm) return Promise.resolve(true);
    const c = JSON.parse(el.dataset.confirm);
    const layer = $('#confirm-layer');
    layer.innerHTML = `<div class="confirm" role="alertdialog" aria-modal="true"
      aria-labelledby="confirm-title"><header><h2 id="confirm-title">${c.title}</h2></header>
      <div class="confirm-text">${c.text}</div><footer>
      <button type="button" class="btn" data-answer="no">${c.deny}</button>
      <button type="button" class="btn ${c.style === 'danger' ? 'btn-danger' : 'btn-primary'}"
        data-answer="yes">${c.confirm}</button></footer></div>`;
    layer.hidden = false;
    $('[data-answer=yes]', layer).focus();
    const key = focusKey(el);
    return new Promise(resolve => {
      const done = answer => {
        layer.hidden = true; layer.innerHTML = '';
        ((key && document.querySelector(key)) || el).focus();  // the button, even if redrawn
        resolve(answer);
      };
      layer.onclick = e => { const b = e.target.closest('[data-answer]'); if (b) done(b.dataset.answer === 'yes'); };
      layer.onkeydown = e => { if (e.key === 'Escape') done(false); };
    });
  }

  function where(el) {
    const modal = el.closest('[data-view-id]');
    if (modal) return {view_id: modal.dataset.viewId};
    if (el.closest('#home')) return {view_id: $('#home [data-home-view]')?.dataset.homeView};
    return {ts: el.closest('[data-ts]')?.dataset.ts};
  }

  // As in Slack, the button clicked shows it is at work until its message changes, an answer
  // shows, or a while has passed; a second click meanwhile does nothing.
  let working = null;
  const answers = () => document.querySelectorAll('#messages .message, #dm .message, #thread .message').length;
  function settle() {
    if (!working) return;
    const {el, count, modal, until} = working;
    if (el.isConnected && answers() === count && modalKey === modal && Date.now() < until) return;
    el.classList.remove('working'); el.removeAttribute('aria-busy');
    working = null;
  }
  function startWorking(el) {
    if (el.tagName !== 'BUTTON' || el.closest('[data-view-id]')) return;
    const button = el.closest('details')?.querySelector('summary') || el;
    button.classList.add('working'); button.setAttribute('aria-busy', 'true');
    working = {el: button, count: answers(), modal: modalKey, until: Date.now() + 15000};
    setTimeout(settle, 15000);
  }

  // The element a modal was opened from takes the focus back when the modal closes; when it
  // has gone (the card changed), the same control or the first button of its card does.
  let opener = null;
  function giveBackFocus() {
    if (!opener) return;
    const {el, key, ts, block, action} = opener; opener = null;
    const message = ts && document.querySelector(`[data-ts="${CSS.escape(ts)}"]`);
    const card = block && message?.querySelector(`[data-block="${CSS.escape(block)}"]`);
    const target = (el.isConnected && el) ||
      (key && (document.querySelector(key) || document.querySelector(loosely(key)))) ||
      (action && card?.querySelector(`[data-action-id="${CSS.escape(action)}"]`)) ||
      card?.querySelector('button, summary, a[href]') ||
      message?.querySelector('button, summary, a[href]') || message;
    if (!target) return;
    if (target === message) message.tabIndex = -1;
    target.focus();
  }

  async function act(el, value) {
    if (working && working.el === (el.closest('details')?.querySelector('summary') || el)) return;
    if (!(await confirmFirst(el))) return;
    const details = el.closest('details');
    if (details) { details.open = false; details.querySelector('summary').focus(); }
    if (!el.closest('[data-view-id]')) {
      const button = details?.querySelector('summary') || el;
      opener = {el: button, key: focusKey(button), ts: el.closest('[data-ts]')?.dataset.ts,
                block: el.closest('[data-block]')?.dataset.block, action: button.dataset.actionId};
    }
    startWorking(el);
    const form = el.closest('form[data-view-id]');
    const values = form ? await formValues(form, false) : undefined;
    await post('/ui/action', {...where(el), action_id: el.dataset.actionId,
      block_id: el.dataset.blockId, value, values});
  }

  document.addEventListener('click', e => {
    if (e.target.closest('#messages')) following = 0;  // the person is reading: stay put
    const el = e.target.closest('button[data-action-id]');
    if (el) { e.preventDefault(); act(el, el.dataset.kind === 'overflow' ? el.dataset.value : undefined); return; }
    const t = e.target.closest('[data-thread]');
    if (t) { thread = t.dataset.thread; refresh(); return; }
    if (e.target.closest('[data-close]')) { e.preventDefault(); post('/ui/close', {}); return; }
    const nav = e.target.closest('[data-tab]');
    if (nav) {
      tab = nav.dataset.tab;
      document.querySelectorAll('[data-tab]').forEach(n => n.classList.toggle('active', n === nav));
      $('#channel-pane').hidden = tab !== 'channel'; $('#home-pane').hidden = tab !== 'home';
      $('#dm-pane').hidden = tab !== 'dm';
      if (tab === 'home') post('/ui/home', {});
    }
  });
  $('#thread-close').onclick = () => { thread = null; refresh(); };

  // Menus as in Slack: one open at a time; Escape or a click elsewhere closes it.
  const menus = () => [...document.querySelectorAll('details.overflow[open]')];
  document.addEventListener('toggle', e => {
    if (e.target.matches?.('details.overflow') && e.target.open)
      menus().filter(d => d !== e.target).forEach(d => { d.open = false; });
  }, true);
  document.addEventListener('pointerdown', e => {
    menus().filter(d => !d.contains(e.target)).forEach(d => { d.open = false; });
  });
  document.addEventListener('focusin', e => {  // the keyboard moved on, out of the menu
    menus().filter(d => !d.contains(e.target)).forEach(d => { d.open = false; });
  });
  document.addEventListener('keydown', e => {
    if (e.key !== 'Escape') return;
    const open = menus().filter(d => d.contains(document.activeElement) || !document.activeElement ||
      document.activeElement === document.body);
    if (!open.length) return;
    e.stopImmediatePropagation();
    open.forEach(d => { d.open = false; });
    open[open.length - 1].querySelector('summary').focus();
  }, true);

  // Elements outside input blocks (or in one with dispatch_action) send an action as soon as
  // they change, as in Slack.
  document.addEventListener('change', e => {
    const el = e.target.closest('[data-action-id]');
    if (!el || el.dataset.kind === 'external_select') return;
    const input = el.closest('[data-input]');
    // In an input block only with dispatch_action, and a text field as its triggers say below.
    if (input && input.dataset.dispatch !== 'on_change') return;
    let value = el.value;
    if (el.dataset.kind === 'checkboxes') value = [...el.closest('fieldset').querySelectorAll(
      'input:checked')].map(i => i.value);
    act(el, value);
  });

  // A text field with dispatch_action tells the bot as the person types (a pause after the
  // last key) or when Enter is pressed, as its trigger_actions_on says; never on blur.
  const typing = new Map();
  const dispatching = trigger => `[data-input][data-dispatch~="${trigger}"] [data-action-id]`;
  const liveField = el => {
    const view = el.closest('[data-view-id]')?.dataset.viewId;
    return (view && document.querySelector(`[data-view-id="${CSS.escape(view)}"] ${fieldKey(el)}`)) || el;
  };
  document.addEventListener('input', e => {
    const el = e.target.closest(dispatching('on_character_entered'));
    if (!el) return;
    const key = fieldKey(el);
    clearTimeout(typing.get(key));
    typing.set(key, setTimeout(() => { typing.delete(key); const live = liveField(el); act(live, live.value); }, 300));
  });
  document.addEventListener('keydown', e => {
    if (e.key !== 'Enter' || e.target.tagName === 'TEXTAREA') return;
    const el = e.target.closest(dispatching('on_enter_pressed'));
    if (!el) return;
    e.preventDefault();
    act(el, el.value);
  });

  // External selects ask the bot for options as the person types.
  let suggestTimer = null;
  document.addEventListener('input', e => {
    const el = e.target.closest('[data-kind=external_select]');
    if (!el) return;
    const list = document.getElementById(el.getAttribute('list'));
    const picked = [...list.options].find(o => o.value === el.value);
    if (picked) { el.dataset.option = picked.dataset.option; return; }
    delete el.dataset.option;
    clearTimeout(suggestTimer);
    if (el.value.length < Number(el.dataset.min || 0)) return;
    suggestTimer = setTimeout(async () => {
      const q = new URLSearchParams({user: person.value, ...where(el), action_id: el.dataset.actionId,
        block_id: el.dataset.blockId, value: el.value});
      const {options} = await (await fetch('/ui/suggest?' + q)).json();
      list.innerHTML = '';
      options.forEach(o => { const opt = document.createElement('option');
        opt.value = o.text.text; opt.dataset.option = JSON.stringify(o); list.append(opt); });
    }, 250);
  });

  async function base64(file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }

  async function valueOf(el) {
    switch (el.dataset.kind) {
      case 'checkboxes': return [...el.closest('fieldset').querySelectorAll('input:checked')].map(i => i.value);
      case 'radio_buttons': { const c = el.closest('fieldset').querySelector('input:checked'); return c ? c.value : null; }
      case 'external_select': return el.dataset.option ? JSON.parse(el.dataset.option) : null;
      // The file itself goes up with the form: the playground keeps it as Slack would and hands
      // the bot a file record whose url_private serves it.
      case 'file_input': return Promise.all([...el.files].map(async f => ({name: f.name,
        mimetype: f.type || 'application/octet-stream', content_b64: await base64(f)})));
      default: return el.value === '' ? null : el.value;
    }
  }

  // What the person has entered in a modal's inputs, as a view's state carries it. A block
  // action sends it too (without files, which go up with the submission only).
  async function formValues(form, files) {
    const values = {};
    for (const block of form.querySelectorAll('[data-input]')) {
      const el = block.querySelector('[data-action-id]');
      if (!el || el.dataset.actionId in values || (!files && el.dataset.kind === 'file_input')) continue;
      values[el.dataset.actionId] = await valueOf(el);
    }
    return values;
  }

  document.addEventListener('submit', async e => {
    let form = e.target;
    if (form.id === 'composer') {
      e.preventDefault();
      const input = $('#composer-input'); const text = input.value.trim();
      if (!text) return;
      $('#composer-error').textContent = '';
      following = Date.now() + 15000;
      // A modal the command opens gives the focus back here.
      opener = {el: input, key: null, ts: null, block: null, action: null};
      const r = await post('/ui/command', {text});
      if (r.error) $('#composer-error').textContent = r.error; else input.value = '';
      return;
    }
    if (!form.matches('[data-view-id]')) return;
    e.preventDefault();
    // What was typed goes with the submission: no separate action for it afterwards.
    typing.forEach(timer => clearTimeout(timer)); typing.clear();
    const values = await formValues(form, true);
    form.querySelectorAll('.field-error-slot').forEach(s => s.innerHTML = '');
    form.querySelectorAll('.has-error').forEach(s => s.classList.remove('has-error'));
    $('.client-error', form).textContent = '';
    const r = await post('/ui/submit', {view_id: form.dataset.viewId, values});
    // The bot may have updated the view meanwhile: the answer goes on the form shown now.
    const shown = document.querySelector(`#modal-layer [data-view-id="${CSS.escape(form.dataset.viewId)}"]`);
    if (!shown) return;
    form = shown;
    if (r.client_error) { $('.client-error', form).textContent = r.client_error; return; }
    if (r.problems) { $('.client-error', form).textContent = 'Slack would reject the answer: ' + r.problems.join('; '); return; }
    if (r.errors) {
      let first = null;
      for (const [blockId, message] of Object.entries(r.errors)) {
        const block = form.querySelector(`[data-input="${CSS.escape(blockId)}"]`);
        if (!block) continue;
        block.classList.add('has-error');
        const slot = $('.field-error-slot', block);
        slot.innerHTML = ''; const div = document.createElement('div');
        div.className = 'field-error'; div.setAttribute('role', 'alert'); div.textContent = message;
        slot.append(div); first = first || block.querySelector('[data-action-id]');
      }
      first?.focus();
    }
  });

  document.addEventListener('keydown', e => {
    const layer = !$('#confirm-layer').hidden ? $('#confirm-layer') :
      !$('#modal-layer').hidden ? $('#modal-layer') : null;
    if (!layer) return;
    if (e.key === 'Escape' && layer.id === 'modal-layer') { post('/ui/close', {}); return; }
    if (e.key !== 'Tab') return;
    // Tab stays inside the open dialog, as in Slack.
    const focusable = [...layer.querySelectorAll('button, [href], input, select, textarea, summary')]
      .filter(el => !el.disabled && el.offsetParent !== null);
    if (!focusable.length) return;
    const first = focusable[0], last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    else if (!layer.contains(document.activeElement)) { e.preventDefault(); first.focus(); }
  });
  person.addEventListener('change', () => {
    const u = new URL(location); u.searchParams.set('as', person.value); history.replaceState(null, '', u);
    modalKey = null; refresh(); if (tab === 'home') post('/ui/home', {});
  });
  refresh();
})();
"""
