// What the browser phone's scenarios share: Chromium's fake media, the
// softphone's panel as tests read it (softphone.js's header), and a tone
// detector on what the page plays.

// webrtcArgs give Chromium a fake microphone playing wav (looped) and let
// the page play audio without a click.
export const webrtcArgs = (wav) => [
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-audio-capture=${wav}`,
  '--autoplay-policy=no-user-gesture-required',
];

// softphone reads the panel (idle screen) and the strip (call view).
export function softphone(page) {
  const panel = () => page.getByTestId('softphone');
  return {
    panel,
    reg: (st, timeout = 10000) => page.locator(`[data-testid=softphone][data-reg=${st}]`).waitFor({ timeout }),
    strip: (call, timeout = 10000) => page.locator(`[data-testid=softphone-strip][data-call=${call}]`).waitFor({ timeout }),
    error: (kind) => page.locator(`[data-testid=softphone-error][data-kind=${kind}]`),
    state: () => page.getByTestId('softphone-state').first(),
  };
}

// listenTone starts listening to what the page plays (the
// softphone-audio element's stream, followed when the page replaces it: a
// new call) for hz. result() answers once hz has been the loudest frequency
// for hold ms (a quarter of a second), with the wall-clock time that began
// (at), or with what it last heard after ms.
export async function listenTone(page, hz, ms = 15000, hold = 240) {
  const handle = await page.evaluateHandle(
    ({ hz, ms, hold }) => {
      const p = (async () => {
        const deadline = Date.now() + ms;
        const sleep = (t) => new Promise((r) => setTimeout(r, t));
        // Made with the first call in ring mode: looked up until then.
        let el = null;
        const ctx = new AudioContext();
        await ctx.resume();
        const an = ctx.createAnalyser();
        an.fftSize = 2048;
        an.smoothingTimeConstant = 0;
        const bins = new Float32Array(an.frequencyBinCount);
        const binHz = ctx.sampleRate / an.fftSize;
        let stream = null;
        let source = null;
        let run = 0;
        let began = 0;
        let last = { why: 'no stream on softphone-audio' };
        try {
          while (Date.now() < deadline) {
            await sleep(20);
            el = el || document.querySelector('[data-testid=softphone-audio]');
            const now = el && el.srcObject && el.srcObject.getAudioTracks().length ? el.srcObject : null;
            if (now !== stream) {
              if (source) source.disconnect();
              stream = now;
              source = stream && ctx.createMediaStreamSource(stream);
              if (source) source.connect(an);
              run = 0;
            }
            if (!stream) continue;
            an.getFloatFrequencyData(bins);
            let peak = 1;
            for (let i = 2; i < bins.length; i++) if (bins[i] > bins[peak]) peak = i;
            last = { peak_hz: Math.round(peak * binHz), peak_db: Math.round(bins[peak]) };
            if (Math.abs(peak * binHz - hz) <= 2 * binHz && bins[peak] > -70) {
              if (!run) began = Date.now();
              run++;
            } else run = 0;
            if (run * 20 >= hold) return { heard: true, at: began, ...last };
          }
          return { heard: false, ...last };
        } finally {
          ctx.close();
        }
      })();
      return { p };
    },
    { hz, ms, hold },
  );
  return { result: () => handle.evaluate((h) => h.p) };
}

// hearTone listens to the call the page plays until hz is heard (see
// listenTone).
export async function hearTone(page, hz, ms = 15000) {
  return (await listenTone(page, hz, ms)).result();
}
