import type { ChildSnapshot, SupervisorSnapshot } from '@filesync/actors';
import type { TreeNodeView } from './overview';

/** The supervision tree as the page shows it: each node's state, restarts and uptime, nested. */
export function treeView(root: SupervisorSnapshot): TreeNodeView {
  return { id: root.id, state: root.state, restarts: root.restartsInWindow, strategy: root.strategy, children: root.children.map(childView) };
}

function childView(c: ChildSnapshot): TreeNodeView {
  return {
    id: c.id,
    state: c.state,
    restarts: c.restarts,
    ...(c.uptimeMs === undefined ? {} : { uptimeMs: Math.round(c.uptimeMs) }),
    ...(c.supervisor ? { strategy: c.supervisor.strategy, children: c.supervisor.children.map(childView) } : {}),
  };
}
