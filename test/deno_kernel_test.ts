/**
 * The registered Deno kernel outlives npx's cache: a deno inside a fake npx cache (a copy of the
 * running one) is registered under a temporary HOME and JUPYTER_DATA_DIR, the cache is deleted,
 * and the kernelspec must still name a deno that runs. The real ~/.local/share is never touched.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  denoKernelDir,
  describeRegistration,
  isEphemeralDeno,
  registerDenoKernel,
  stableDenoPath,
} from "../scripts/lessons/deno_kernel.ts";

Deno.test("ephemeral: npx's cache and node_modules trees count, installed denos do not", () => {
  assert.equal(isEphemeralDeno("/root/.npm/_npx/7a40be787520bede/node_modules/deno/deno"), true);
  assert.equal(isEphemeralDeno("/repo/node_modules/@deno/linux-x64-glibc/deno"), true);
  assert.equal(isEphemeralDeno("C:\\Users\\a\\AppData\\Local\\npm-cache\\_npx\\1\\deno.exe"), true);
  assert.equal(isEphemeralDeno("/home/a/.deno/bin/deno"), false);
  assert.equal(isEphemeralDeno("/usr/local/bin/deno"), false);
  assert.equal(isEphemeralDeno("/home/a/my_npx_tools/deno"), false);
});

Deno.test("paths: the copy and the kernelspec follow XDG_DATA_HOME, else ~/.local/share", () => {
  assert.equal(
    stableDenoPath("2.9.6", { HOME: "/h" }, "linux"),
    "/h/.local/share/kd-deno/2.9.6/deno",
  );
  assert.equal(
    stableDenoPath("2.9.6", { HOME: "/h", XDG_DATA_HOME: "/x" }, "linux"),
    "/x/kd-deno/2.9.6/deno",
  );
  assert.equal(denoKernelDir({ HOME: "/h" }, "linux"), "/h/.local/share/jupyter/kernels/deno");
  assert.equal(denoKernelDir({ HOME: "/h" }, "darwin"), "/h/Library/Jupyter/kernels/deno");
});

async function runs(path: string): Promise<string> {
  const out = await new Deno.Command(path, { args: ["--version"], stdout: "piped" }).output();
  assert.ok(out.success, `${path} --version failed`);
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "register: a deno in npx's cache is copied out; the kernel works after the cache is gone",
  ignore: Deno.build.os === "windows",
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "kd-kernel-" });
    try {
      const home = join(tmp, "home");
      const jupyterData = join(tmp, "jupyter-data");
      const cache = join(home, ".npm", "_npx", "0123abcd");
      const npxDeno = join(cache, "node_modules", "deno", "deno");
      await Deno.mkdir(join(npxDeno, ".."), { recursive: true });
      await Deno.copyFile(Deno.execPath(), npxDeno);
      await Deno.chmod(npxDeno, 0o755);
      const env = {
        HOME: home,
        JUPYTER_DATA_DIR: jupyterData,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      };

      const r = await registerDenoKernel({ deno: npxDeno, version: "2.9.6", env });
      const stable = join(home, ".local", "share", "kd-deno", "2.9.6", "deno");
      assert.equal(r.deno, stable);
      assert.equal(r.copied, true);
      const denoDir = join(home, ".local", "share", "jupyter", "kernels", "deno");
      const jupyterDir = join(jupyterData, "kernels", "deno");
      assert.deepEqual(r.kernelDirs, [denoDir, jupyterDir]);
      const line = describeRegistration(r, npxDeno);
      assert.ok(
        line.startsWith(`Deno kernel: registered ${stable} in ${denoDir} and ${jupyterDir}`),
      );
      assert.match(line, /a copy of the running .*_npx/);

      // A second run finds the copy (same size) and leaves it alone.
      const before = (await Deno.stat(stable)).mtime?.getTime();
      const again = await registerDenoKernel({ deno: npxDeno, version: "2.9.6", env });
      assert.deepEqual(again, r);
      assert.equal((await Deno.stat(stable)).mtime?.getTime(), before);

      // npm's cache is cleaned: the kernelspecs still run a deno.
      await Deno.remove(join(home, ".npm"), { recursive: true });
      for (const dir of r.kernelDirs) {
        const spec = JSON.parse(await Deno.readTextFile(join(dir, "kernel.json")));
        assert.deepEqual(spec.argv, [stable, "jupyter", "--kernel", "--conn", "{connection_file}"]);
        assert.equal(spec.display_name, "Deno");
      }
      assert.match(
        await runs(stable),
        new RegExp(`^deno ${Deno.version.deno.replaceAll(".", "\\.")}`),
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "register: an installed deno is registered as it is, nothing copied",
  ignore: Deno.build.os === "windows" || isEphemeralDeno(Deno.execPath()),
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "kd-kernel-" });
    try {
      const env = { HOME: home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
      const r = await registerDenoKernel({ env });
      assert.deepEqual(r, {
        deno: Deno.execPath(),
        copied: false,
        kernelDirs: [join(home, ".local", "share", "jupyter", "kernels", "deno")],
      });
      assert.equal(
        await Deno.stat(join(home, ".local", "share", "kd-deno")).then(() => true, () => false),
        false,
      );
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
