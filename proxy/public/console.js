// The browser console: opens the console WebSocket named by the page URL and hands it to noVNC.
// Nova's URL is /vnc_auto.html?path=%3Ftoken%3D<token>; noVNC's pages also accept ?token=<token>.
import RFB from '/novnc/core/rfb.js';

const status = document.getElementById('status');
const ctrlAltDel = document.getElementById('ctrl-alt-del');

function show(state, message) {
  document.body.dataset.state = state;
  status.textContent = message;
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
  const socket = new WebSocket(`${scheme}//${location.host}/${path}`);
  // noVNC reports a close as a bare disconnect; the proxy's close reason says why, so keep it.
  let closeReason = '';
  socket.addEventListener('close', (event) => {
    closeReason = event.reason;
    document.body.dataset.closeCode = String(event.code);
  });

  let connected = false;
  let desktopName = '';
  const rfb = new RFB(document.getElementById('screen'), socket, { shared: true });
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
    // The close event may follow noVNC's disconnect by a tick; read the reason after it.
    setTimeout(() => {
      if (!connected) show('refused', closeReason || 'The console could not be opened.');
      else if (event.detail.clean) show('disconnected', closeReason || 'The console session ended.');
      else show('failed', closeReason || 'The connection to the console was lost.');
    }, 0);
  });
  ctrlAltDel.addEventListener('click', () => rfb.sendCtrlAltDel());
}
