/** The page's whole style, inlined in the document: one request less on a slow Wi-Fi link, and nothing to flash unstyled. */
export const PAGE_CSS = `
:root{--ok:#0a7a2f;--warn:#a65f00;--bad:#b3261e;--muted:#666;--line:#e3e3e3;font-family:system-ui,sans-serif;line-height:1.35}
body{margin:0 auto;max-width:60rem;padding:0 .75rem 2rem}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1rem;border-bottom:2px solid var(--line)}
h1{font-size:1.3rem;margin:.6rem 0}h2{font-size:1rem;margin:1.1rem 0 .4rem;display:inline-block}
.summary{display:flex;flex-wrap:wrap;gap:.3rem 1rem}.muted{color:var(--muted);font-size:.9em}.bad{color:var(--bad)}
ul{list-style:none;padding:0;margin:0}li{border-bottom:1px solid var(--line);padding:.35rem 0}
.row{display:flex;justify-content:space-between;gap:.5rem;flex-wrap:wrap}.path{overflow-wrap:anywhere;font-weight:500}
.devices{display:flex;flex-wrap:wrap;gap:.4rem}.device{border:1px solid var(--line);border-left:6px solid var(--ok);border-radius:6px;padding:.35rem .6rem;flex:1 1 14rem}
.device.degraded{border-left-color:var(--warn)}.device.down{border-left-color:var(--bad)}.device .role{color:var(--muted);font-size:.8em;margin-left:.4rem}
.cause{display:block;color:var(--bad);font-size:.9em}
.badge{font-size:.75em;padding:.05rem .4rem;border-radius:1rem;background:#eee;white-space:nowrap}
.up .badge,.badge.delivered,.badge.uploaded,.badge.running{background:#d8f0de}.down .badge,.badge.failed{background:#f6d6d3}.degraded .badge,.badge.paused{background:#fbe7c6}
progress{width:100%;height:.8rem}.spark{width:100%;height:3rem;background:#fafafa;border:1px solid var(--line)}
.spark polyline{fill:none;stroke-width:1.5;vector-effect:non-scaling-stroke}.spark .down,.legend .down{stroke:#1565c0;color:#1565c0}.spark .up,.legend .up{stroke:#2e7d32;color:#2e7d32}
.legend{margin:.2rem 0;font-size:.85em}.reason{color:var(--bad);font-size:.9em;overflow-wrap:anywhere}.target{display:block;font-size:.9em;overflow-wrap:anywhere}
button{font:inherit;padding:.25rem .7rem;border-radius:4px;border:1px solid #888;background:#f4f4f4;min-height:2rem}.right{float:right;margin-top:.8rem}
li button{margin-left:.5rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .3rem;border-bottom:1px solid var(--line);vertical-align:top}
form{display:flex;flex-wrap:wrap;gap:.4rem;margin:.3rem 0}input[type=search]{flex:1 1 12rem;font:inherit;padding:.25rem}select{font:inherit}
.pager{display:flex;gap:1rem;justify-content:center;padding:.4rem}.tree ul{padding-left:1.1rem}details{margin-top:1.2rem}summary{cursor:pointer;font-weight:600}
code{font-size:.9em}@media (max-width:30rem){.files td:nth-child(3),.files th:nth-child(3){display:none}}
`;
