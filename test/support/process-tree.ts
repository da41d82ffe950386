/**
 * The processes below a pid, read from /proc (Linux), for the tests that stop a command and must
 * find none of its processes left: the build, the function and any child they started.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** pid → [parent pid, process group, state] of every process on the machine. */
function processTable(): Map<number, { ppid: number; pgid: number; state: string }> {
  const table = new Map<number, { ppid: number; pgid: number; state: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the command name, which is in parentheses and may hold anything.
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { ppid: Number(ppid), pgid: Number(pgid), state: state! });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/** Every process below `pid`, and their process groups. */
export function descendants(pid: number): { pids: Set<number>; groups: Set<number> } {
  const table = processTable();
  const pids = new Set<number>();
  const groups = new Set<number>();
  let frontier = [pid];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [child, info] of table) {
      if (frontier.includes(info.ppid) && !pids.has(child)) {
        pids.add(child);
        groups.add(info.pgid);
        next.push(child);
      }
    }
    frontier = next;
  }
  return { pids, groups };
}

/** Those of `pids`, or members of `groups`, still running (zombies awaiting their reaper count as gone). */
export function stillRunning(pids: Set<number>, groups: Set<number>): number[] {
  return [...processTable()].filter(([pid, info]) => (pids.has(pid) || groups.has(info.pgid)) && info.state !== 'Z').map(([pid]) => pid);
}
