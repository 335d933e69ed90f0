// The playback page: opens /playback?token=<one-time token> on this proxy, which sends the recording's manifest
// (who, when, where), then the recording as stored, then {"type":"end"}; shows the manifest and plays the
// recording (playback-player.js) with play, pause, seek and speed. State for tests: body[data-state]
// (loading | ready | playing | paused | ended | empty | refused), data-position-ms, data-duration-ms.
import { decodeChunk, FROM_BROWSER, Player } from '/playback-player.js';

const body = document.body;
const status = document.getElementById('status');
const details = document.getElementById('details');
const playButton = document.getElementById('play');
const seek = document.getElementById('seek');
const time = document.getElementById('time');
const speed = document.getElementById('speed');

const token = new URLSearchParams(location.search).get('token');
// The token is single-use: keep it out of the address bar and the history once read.
history.replaceState(null, '', location.pathname);

function show(state, message) {
  body.dataset.state = state;
  if (message !== undefined) status.textContent = message;
}

const field = (name, text) => (details.querySelector(`[data-field="${name}"]`).textContent = text);
const utc = (iso) => `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** `1 h 2 min 3 s`, `2 min 5 s`, `12 s` (whole seconds, as the player's clock counts them). */
function duration(ms) {
  const total = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (h) return `${h} h ${m} min ${s} s`;
  return m ? `${m} min ${s} s` : `${s} s`;
}

/** The player's clock: `m:ss`, or `h:mm:ss` past an hour. */
function clock(ms) {
  const total = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const ss = String(s).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const STATES = {
  recorded: 'Recorded: every chunk of the session is stored.',
  recording:
    'Not closed: the console is still open, or its proxy stopped before reporting the end; what was stored plays.',
  incomplete: 'Incomplete: the recording storage failed during the session; the recording ends where it failed.',
  'not recorded':
    'Not recorded: the recording storage was unavailable when the console opened, and the policy let it open unrecorded; there is nothing to play.',
};

function showManifest(manifest, viewer) {
  field('user', manifest.userName);
  field('vm', `${manifest.vmMoId} (instance ${manifest.instanceUuid})`);
  field('tenant', manifest.tenantId);
  field('started', utc(manifest.startedAt));
  field('ended', manifest.endedAt ? utc(manifest.endedAt) : 'not ended');
  field('duration', manifest.endedAt ? duration(Date.parse(manifest.endedAt) - Date.parse(manifest.startedAt)) : 'unknown (not ended)');
  field('client', manifest.clientAddress ?? 'unknown');
  field('proxy', manifest.proxyInstance ?? 'unknown');
  field('console-type', manifest.consoleType);
  field('state', manifest.reason ? `${STATES[manifest.state]} (${manifest.reason})` : STATES[manifest.state]);
  field('input', manifest.input ? 'recorded; never replayed' : 'not recorded (the screen only)');
  field('recording-id', manifest.recordingId);
  field('viewer', viewer);
  details.hidden = false;
  document.title = `${manifest.vmMoId}, ${manifest.userName}, ${utc(manifest.startedAt)} – Console recording`;
}

let player;
let manifest;

function showPosition() {
  // Floored: every frame at or before the number shown has been delivered (frame times are whole ms).
  body.dataset.positionMs = String(Math.floor(player.position));
  body.dataset.positionAt = String(player.positionAt);
  body.dataset.speed = String(player.speed);
  if (document.activeElement !== seek || !seek.matches(':active')) seek.value = String(Math.round(player.position));
  time.textContent = `${clock(player.position)} / ${clock(player.durationMs)}`;
  playButton.textContent = player.playing ? 'Pause' : 'Play';
  if (player.failure) show('refused', player.failure);
  else if (player.playing) show('playing', 'Playing');
  else if (player.ended) show('ended', 'The end of the recording.');
  else if (player.position === 0 && body.dataset.state === 'ready') show('ready');
  else show('paused', 'Paused');
}

function ready(chunks) {
  const frames = [];
  let damaged = '';
  for (const chunk of chunks) {
    try {
      frames.push(...decodeChunk(chunk));
    } catch (error) {
      damaged = ` The recording is damaged after ${frames.length} messages (${error.message}); it plays up to there.`;
      break;
    }
  }
  const inputs = frames.filter((frame) => frame.direction === FROM_BROWSER).length;
  body.dataset.inputCount = String(inputs);
  if (manifest.input) field('input', `${inputs} input messages recorded (keystrokes, pointer); shown here, never replayed`);
  const last = frames.length ? frames[frames.length - 1].offsetMs : 0;
  const lasted = manifest.endedAt ? Date.parse(manifest.endedAt) - Date.parse(manifest.startedAt) : 0;
  const durationMs = Math.max(last, lasted);
  body.dataset.durationMs = String(durationMs);
  if (!frames.some((frame) => frame.direction === 0)) return show('empty', `There is no screen to play in this recording.${damaged}`);
  seek.max = String(durationMs);
  show('ready', `Ready to play.${damaged}`);
  player = new Player(document.getElementById('screen'), frames, durationMs, showPosition);
  showPosition();
  for (const control of [playButton, seek, speed]) control.disabled = false;
  playButton.addEventListener('click', () => (player.playing ? player.pause() : player.play()));
  seek.addEventListener('input', () => player.seek(Number(seek.value)));
  speed.addEventListener('change', () => player.setSpeed(Number(speed.value)));
}

if (!token) {
  show('refused', 'This playback link carries no token.');
} else {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(`${scheme}//${location.host}/playback?token=${encodeURIComponent(token)}`);
  socket.binaryType = 'arraybuffer';
  const chunks = [];
  let bytes = 0;
  let complete = false;
  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') {
      chunks.push(new Uint8Array(event.data));
      bytes += event.data.byteLength;
      const of = manifest?.bytes ? ` of ${Math.round(manifest.bytes / 1024)} KiB` : '';
      return show('loading', `Loading the recording… ${Math.round(bytes / 1024)} KiB${of}`);
    }
    const message = JSON.parse(event.data);
    if (message.type === 'recording') {
      manifest = message.manifest;
      showManifest(message.manifest, message.viewer);
    } else if (message.type === 'end') complete = true;
  });
  socket.addEventListener('close', (event) => {
    body.dataset.closeCode = String(event.code);
    if (complete && manifest) ready(chunks);
    else show('refused', event.reason || 'The recording could not be loaded.');
  });
}
