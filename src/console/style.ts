/** The console's one stylesheet, served as /console.css. Plain CSS: no build step. */
export const STYLESHEET = `
:root { --fg: #1d2329; --muted: #5b6670; --line: #d5dbe0; --accent: #0b5cad; --bad: #a4161a; --ok: #1b6e3a; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; }
header nav { display: flex; gap: 1rem; flex: 1; }
header nav a { color: var(--fg); text-decoration: none; padding: .2rem 0; border-bottom: 2px solid transparent; }
header nav a[aria-current="page"] { border-bottom-color: var(--accent); }
header .who { color: var(--muted); font-size: .9em; }
main { max-width: 68rem; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: #eef1f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.notice { padding: .6rem .9rem; border-radius: 4px; margin: 0 0 1rem; border: 1px solid; background: #fff; }
.notice.ok { border-color: var(--ok); color: var(--ok); }
.notice.error { border-color: var(--bad); color: var(--bad); }
form.inline { display: inline; }
button { font: inherit; padding: .3rem .9rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #f0a000; outline-offset: 2px; }
.signin { max-width: 22rem; margin: 4rem auto; background: #fff; border: 1px solid var(--line); padding: 1.5rem; border-radius: 6px; }
.signin label { display: block; margin: .8rem 0 .2rem; }
.signin input { width: 100%; padding: .4rem; font: inherit; }
.signin button { margin-top: 1rem; width: 100%; }
td code { font-size: .85em; }
td { overflow-wrap: anywhere; }
th.num { text-align: right; }
pre.plan { background: #fff; border: 1px solid var(--line); padding: .6rem .9rem; overflow-x: auto; font-size: .85em; }
.upload { display: grid; gap: .3rem; max-width: 36rem; background: #fff; border: 1px solid var(--line); padding: 1rem; border-radius: 6px; }
.upload fieldset { border: 1px solid var(--line); }
.upload button { justify-self: start; margin-top: .5rem; }
.actions { display: flex; gap: .5rem; margin: .5rem 0 1rem; }
dl.pending { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dl.pending dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; }
`;
