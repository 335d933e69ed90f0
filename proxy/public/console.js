// The browser console: opens the console WebSocket named by the page URL and hands it to noVNC.
// Nova's URL is /vnc_auto.html?path=%3Ftoken%3D<token>; noVNC's pages also accept ?token=<token>.
import RFB from '/novnc/core/rfb.js';

const status = document.getElementById('status');
const ctrlAltDel = document.getElementById('ctrl-alt-del');
const banner = document.getElementById('notice');
// Offered beside `binary`: the proxy then sends notices (JSON text frames) between the RFB frames.
const NOTICES = 'console-broker.notices';

function show(state, message) {
  document.body.dataset.state = state;
  status.textContent = message;
}

const timeOf = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function showBanner(lines) {
  banner.replaceChildren(...lines.map((line) => Object.assign(document.createElement('p'), { textContent: line })));
  banner.hidden = lines.length === 0;
}

/** Who watches this console read-only: named in the banner (and body[data-watchers]); nobody: no banner. */
function showWatchers(watchers) {
  if (document.body.dataset.mode === 'shadow') return;
  if (watchers.length === 0) delete document.body.dataset.watchers;
  else document.body.dataset.watchers = watchers.map((watcher) => watcher.userName).join(', ');
  showBanner(watchers.map((watcher) => `${watcher.userName} is watching this console (read-only) since ${timeOf(watcher.since)}`));
}

/**
 * noVNC reads any WebSocket-like channel (core/websock.js); this one hands it the binary RFB frames of `socket`
 * and keeps the text frames (notices) for `onNotice`.
 */
function noticesChannel(socket, onNotice) {
  socket.binaryType = 'arraybuffer';
  const channel = {
    binaryType: 'arraybuffer',
    onopen: null,
    onmessage: null,
    onerror: null,
    onclose: null,
    get protocol() { return socket.protocol; },
    get readyState() { return socket.readyState; },
    send: (data) => socket.send(data),
    close: (...args) => socket.close(...args),
  };
  socket.addEventListener('open', (event) => channel.onopen?.(event));
  socket.addEventListener('error', (event) => channel.onerror?.(event));
  socket.addEventListener('close', (event) => channel.onclose?.(event));
  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return channel.onmessage?.(event);
    try {
      onNotice(JSON.parse(event.data));
    } catch {
      // A notice the page cannot read is no reason to lose the console.
    }
  });
  return channel;
}

function consolePath(params) {
  const path = params.get('path');
  if (path) return path.replace(/^\//, '');
  const token = params.get('token');
  return token ? `?token=${encodeURIComponent(token)}` : null;
}

const path = consolePath(new URLSearchParams(location.search));
// The ticket is single-use: keep it out of the address bar and the history once read.
history.replaceState(null, '', location.pathname);

if (!path) {
  show('refused', 'This console link carries no ticket.');
} else {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${scheme}//${location.host}/${path}`, ['binary', NOTICES]);
  // noVNC reports a close as a bare disconnect; the proxy's close reason says why, so keep it.
  let closeReason = '';
  socket.addEventListener('close', (event) => {
    closeReason = event.reason;
    document.body.dataset.closeCode = String(event.code);
  });

  let connected = false;
  let desktopName = '';
  let rfb;
  const onNotice = (notice) => {
    if (notice.type === 'watchers' && Array.isArray(notice.watchers)) showWatchers(notice.watchers);
    if (notice.type === 'shadowing') {
      // The proxy drops whatever input a shadow sends; the page does not even offer it.
      rfb.viewOnly = true;
      document.body.dataset.mode = 'shadow';
      ctrlAltDel.hidden = true;
      showBanner([`Read-only view of ${notice.userName}'s console`]);
    }
  };
  rfb = new RFB(document.getElementById('screen'), noticesChannel(socket, onNotice), { shared: true });
  rfb.scaleViewport = true;
  rfb.focusOnClick = true;

  rfb.addEventListener('connect', () => {
    connected = true;
    show('connected', desktopName ? `Connected to ${desktopName}` : 'Connected');
    ctrlAltDel.disabled = false;
    rfb.focus();
  });
  // ServerInit names the desktop just before noVNC reports the connection; it may be renamed later.
  rfb.addEventListener('desktopname', (event) => {
    desktopName = event.detail.name;
    document.title = `${desktopName} – Console`;
    if (connected) show('connected', `Connected to ${desktopName}`);
  });
  rfb.addEventListener('securityfailure', (event) => {
    closeReason = event.detail.reason || 'The console refused the connection.';
  });
  rfb.addEventListener('credentialsrequired', () => {
    closeReason = 'The console asks for a password, which this page does not have.';
    rfb.disconnect();
  });
  rfb.addEventListener('disconnect', (event) => {
    ctrlAltDel.disabled = true;
    if (document.body.dataset.mode !== 'shadow') showWatchers([]);
    // The close event may follow noVNC's disconnect by a tick; read the reason after it.
    setTimeout(() => {
      if (!connected) show('refused', closeReason || 'The console could not be opened.');
      else if (event.detail.clean) show('disconnected', closeReason || 'The console session ended.');
      else show('failed', closeReason || 'The connection to the console was lost.');
    }, 0);
  });
  ctrlAltDel.addEventListener('click', () => rfb.sendCtrlAltDel());
}
