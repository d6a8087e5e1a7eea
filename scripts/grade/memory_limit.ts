/**
 * The operating-system half of a run's memory limit (V8's heap flag is the other). Measured on
 * Deno 2.9.6: any finite RLIMIT_AS or RLIMIT_DATA, even 100 TiB, makes Deno die with SIGSEGV at
 * start-up, before a line of the program runs (V8 reserves tens of GiB of address space for its
 * cage and wasm memories), so `ulimit -v`/`prlimit` cannot do it. What works:
 *
 * - a memory cgroup of the run's own, made under the grader's cgroup where the grader may write
 *   there (root, or a delegated cgroup v2 subtree): the kernel kills the run at the limit and
 *   counts the kill;
 * - elsewhere, the grader reads the run's resident size from /proc every 100 ms and kills it past
 *   the limit (a run can overshoot by what it allocates in 100 ms).
 */
import { join } from "node:path";

/** Where the limit is enforced, for the terminal and the feedback page. */
export type MemoryCageKind = "cgroup v1" | "cgroup v2" | "resident-size watch";

/** One run's memory cage. */
export interface MemoryCage {
  readonly kind: MemoryCageKind;
  /** The cgroup's `cgroup.procs`: the run's wrapper writes its pid there before it starts Deno. */
  readonly procsFile?: string;
  /** Starts watching `pid` (the watch kind kills it past the limit); call once it runs. */
  watch(pid: number): void;
  /** After the run: whether the limit stopped it, and its peak memory in bytes where known. */
  finish(): Promise<{ exceeded: boolean; peakBytes?: number }>;
}

/** Which cage to make: the best available, or the watch (tests use it to cover that path). */
export type CagePreference = "auto" | "watch";

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** `key value` lines (memory.events, memory.oom_control) as numbers. */
function counter(text: string | undefined, key: string): number {
  const m = text?.match(new RegExp(`^${key} (\\d+)$`, "m"));
  return m ? Number(m[1]) : 0;
}

interface Hierarchy {
  readonly version: 1 | 2;
  /** The grader's own cgroup folder in the mounted hierarchy. */
  readonly own: string;
}

/** The grader's memory cgroup folders, v2 first, from /proc/self/cgroup and mountinfo. */
async function ownHierarchies(): Promise<Hierarchy[]> {
  const cgroups = await readText("/proc/self/cgroup");
  const mounts = await readText("/proc/self/mountinfo");
  if (!cgroups || !mounts) return [];
  const found: Hierarchy[] = [];
  for (const line of mounts.split("\n")) {
    // A mountinfo line: id parent dev root mountpoint options [optional] - type source super
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const fields = left.split(" ");
    const [fsType, , superOptions] = right.split(" ");
    const [root, mountPoint] = [fields[3], fields[4]];
    let path: string | undefined;
    if (fsType === "cgroup2") path = cgroups.match(/^0::(\S+)$/m)?.[1];
    else if (fsType === "cgroup" && superOptions?.split(",").includes("memory")) {
      path = cgroups.match(/^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(\S+)$/m)?.[1];
    }
    if (path === undefined || !path.startsWith(root)) continue;
    const own = join(mountPoint, path.slice(root === "/" ? 0 : root.length));
    found.push({ version: fsType === "cgroup2" ? 2 : 1, own });
  }
  return found.sort((a, b) => b.version - a.version);
}

/** A fresh cgroup under `h.own` limited to `bytes`, or undefined where that is not allowed. */
async function makeCgroup(h: Hierarchy, name: string, bytes: number): Promise<string | undefined> {
  const dir = join(h.own, name);
  try {
    await Deno.mkdir(dir);
  } catch {
    return undefined;
  }
  const files = h.version === 2
    ? [["memory.max", bytes], ["memory.swap.max", 0]] as const
    : [["memory.limit_in_bytes", bytes], ["memory.memsw.limit_in_bytes", bytes]] as const;
  try {
    for (const [file, value] of files) {
      const path = join(dir, file);
      // Swap limits exist only where swap accounting is on; the memory limit must exist.
      if (file.includes("swap") || file.includes("memsw")) {
        if (await readText(path) === undefined) continue;
      }
      await Deno.writeTextFile(path, String(value));
    }
    return dir;
  } catch {
    await Deno.remove(dir).catch(() => {});
    return undefined;
  }
}

async function removeCgroup(dir: string): Promise<void> {
  // The kernel may take a moment to let go of a killed process's cgroup.
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await Deno.remove(dir);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function cgroupCage(version: 1 | 2, dir: string): MemoryCage {
  return {
    kind: version === 1 ? "cgroup v1" : "cgroup v2",
    procsFile: join(dir, "cgroup.procs"),
    watch() {},
    async finish() {
      const kills = version === 2
        ? counter(await readText(join(dir, "memory.events")), "oom_kill")
        : counter(await readText(join(dir, "memory.oom_control")), "oom_kill");
      const peak = await readText(
        join(dir, version === 2 ? "memory.peak" : "memory.max_usage_in_bytes"),
      );
      await removeCgroup(dir);
      return { exceeded: kills > 0, ...(peak === undefined ? {} : { peakBytes: Number(peak) }) };
    },
  };
}

function watchCage(bytes: number): MemoryCage {
  let timer: ReturnType<typeof setInterval> | undefined;
  let exceeded = false;
  let peakBytes: number | undefined;
  return {
    kind: "resident-size watch",
    watch(pid) {
      timer = setInterval(() => {
        let status: string;
        try {
          status = Deno.readTextFileSync(`/proc/${pid}/status`);
        } catch {
          return; // gone, or no /proc
        }
        const kib = (key: string) =>
          Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
        peakBytes = Math.max(peakBytes ?? 0, kib("VmHWM") * 1024);
        if (kib("VmRSS") * 1024 > bytes && !exceeded) {
          exceeded = true;
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // it ended on its own meanwhile
          }
        }
      }, 100);
    },
    finish() {
      clearInterval(timer);
      return Promise.resolve({ exceeded, ...(peakBytes === undefined ? {} : { peakBytes }) });
    },
  };
}

/** A cage of `bytes` for one run named `name` (unique among the grader's runs). */
export async function makeMemoryCage(
  bytes: number,
  name: string,
  preference: CagePreference = "auto",
): Promise<MemoryCage> {
  if (preference === "auto") {
    for (const h of await ownHierarchies()) {
      const dir = await makeCgroup(h, name, bytes);
      if (dir) return cgroupCage(h.version, dir);
    }
  }
  return watchCage(bytes);
}
