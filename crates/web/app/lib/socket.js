// The chat socket (/api/ws, authenticated by the session cookie): reconnects with backoff after
// a drop, and tells its owner when it is open again so it can ask for the history (the server
// resumes a run in progress from there). A 4401 close means the session ended: no reconnect.
const BACKOFF_MS = [500, 1000, 2000, 5000, 10000];

export function openSocket({ onFrame, onState }) {
  let ws = null;
  let attempt = 0;
  let stopped = false;
  let timer = null;
  let opened = false;

  function connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
    ws = new WebSocket(url);
    // Once a connection was lost, the owner keeps saying so until it is back.
    if (!opened) onState('connecting');
    ws.onopen = () => {
      attempt = 0;
      opened = true;
      onState('open');
    };
    ws.onmessage = (event) => {
      try {
        onFrame(JSON.parse(event.data));
      } catch {
        // Not JSON: not ours to show.
      }
    };
    ws.onclose = (event) => {
      if (stopped) return;
      if (event.code === 4401) {
        onState('signed-out');
        return;
      }
      onState('lost');
      timer = setTimeout(connect, BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]);
    };
  }

  connect();
  return {
    send(frame) {
      if (ws?.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(frame));
      return true;
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      ws?.close(1000);
    },
  };
}
