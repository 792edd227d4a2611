// Bundles JsSIP (published as CommonJS only) into one ES module for the
// browser, the way its own release script does, with a fixed banner so
// that the same lockfile always gives the same bytes.
// `node bundle-jssip.mjs` prints the module, `node bundle-jssip.mjs
// license` the licenses of JsSIP and of the packages bundled with it;
// `make ui` writes them to static/vendor/ and a test compares.
import esbuild from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const pkg = JSON.parse(readFileSync(`${dir}node_modules/jssip/package.json`, 'utf8'));

if (process.argv[2] === 'license') {
  const parts = [['jssip', 'LICENSE.md'], ['debug', 'LICENSE'], ['ms', 'license.md'],
    ['events', 'LICENSE'], ['sdp-transform', 'LICENSE']].map(([name, file]) => {
    const p = JSON.parse(readFileSync(`${dir}node_modules/${name}/package.json`, 'utf8'));
    const text = readFileSync(`${dir}node_modules/${name}/${file}`, 'utf8').trim();
    return `${name} ${p.version}\n\n${text}\n`;
  });
  process.stdout.write(parts.join('\n----\n\n'));
  process.exit(0);
}
const res = await esbuild.build({
  absWorkingDir: dir,
  entryPoints: ['node_modules/jssip/lib/JsSIP.js'],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020'],
  legalComments: 'none',
  banner: { js: `/* JsSIP ${pkg.version}, ${pkg.homepage}, ${pkg.license} license (LICENSE-jssip.txt) */` },
  // JsSIP reads only its title and version from its package.json: the
  // rest (authors' and repository links) stays out of the page.
  plugins: [{
    name: 'jssip-package-json',
    setup(b) {
      b.onLoad({ filter: /jssip[\\/]package\.json$/ }, () => ({
        contents: JSON.stringify({ title: pkg.title, version: pkg.version }),
        loader: 'json',
      }));
    },
  }],
  write: false,
  logLevel: 'error',
});
process.stdout.write(res.outputFiles[0].text);
