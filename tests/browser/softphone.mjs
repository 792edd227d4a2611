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

// hearTone listens to the call the page plays (the softphone-audio
// element's stream) and answers once hz has been the loudest frequency
// for a quarter of a second, or what it last heard after ms.
export function hearTone(page, hz, ms = 15000) {
  return page.evaluate(
    async ({ hz, ms }) => {
      const deadline = Date.now() + ms;
      const sleep = (t) => new Promise((r) => setTimeout(r, t));
      const el = document.querySelector('[data-testid=softphone-audio]');
      while (!(el && el.srcObject && el.srcObject.getAudioTracks().length)) {
        if (Date.now() > deadline) return { heard: false, why: 'no stream on softphone-audio' };
        await sleep(50);
      }
      const ctx = new AudioContext();
      await ctx.resume();
      const an = ctx.createAnalyser();
      an.fftSize = 4096;
      an.smoothingTimeConstant = 0;
      ctx.createMediaStreamSource(el.srcObject).connect(an);
      const bins = new Float32Array(an.frequencyBinCount);
      const binHz = ctx.sampleRate / an.fftSize;
      let run = 0;
      let last = { why: 'nothing measured' };
      try {
        while (Date.now() < deadline) {
          await sleep(50);
          an.getFloatFrequencyData(bins);
          let peak = 1;
          for (let i = 2; i < bins.length; i++) if (bins[i] > bins[peak]) peak = i;
          last = { peak_hz: Math.round(peak * binHz), peak_db: Math.round(bins[peak]) };
          run = Math.abs(peak * binHz - hz) <= 2 * binHz && bins[peak] > -70 ? run + 1 : 0;
          if (run >= 5) return { heard: true, ...last };
        }
        return { heard: false, ...last };
      } finally {
        ctx.close();
      }
    },
    { hz, ms },
  );
}
