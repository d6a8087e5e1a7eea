/**
 * Live training curves in a browser tab, through nodeplotlib (npm:nodeplotlib,
 * a NestJS server with socket.io whose page draws plotly.js plots fed by RxJS
 * observables). Only the command-line scripts load this module, and only with
 * `--plot`: the library and the notebooks never pull in its server.
 *
 * nodeplotlib's own `plot()` listens on every interface, opens a browser
 * whenever NODEPLOTLIB_PORT is unset and has no way to stop its server (it
 * stops when the last page closes). So this module starts nodeplotlib's own
 * server module itself — same page, same socket gateway, same observable
 * plots — on 127.0.0.1, opens a browser only when asked, and closes it when
 * the run ends.
 */
import { NestFactory } from "@nestjs/core";
import type { INestApplication } from "@nestjs/common";
import type { Layout, Plot } from "nodeplotlib";
import { BehaviorSubject, of } from "rxjs";
import { ServerModule } from "nodeplotlib/src/lib/server/server.module.js";
import { PlotsService } from "nodeplotlib/src/lib/server/plots/plots.service.js";
import { PlotsGateway } from "nodeplotlib/src/lib/server/plots/plots.gateway.js";

/** One finished epoch of a run; accuracies are fractions in [0, 1]. */
export interface EpochPoint {
  /** The run's name (a teacher's); each run gets its own plots. */
  run: string;
  epoch: number;
  trainLoss: number;
  testLoss?: number;
  trainAccuracy: number;
  testAccuracy?: number;
}

/** One training batch of a run. */
export interface BatchPoint {
  run: string;
  epoch: number;
  /** 1-based, of `batches` in the epoch. */
  batch: number;
  batches: number;
  loss: number;
}

export interface LivePlot {
  /** The page's address, on 127.0.0.1. */
  readonly url: string;
  pushEpoch(point: EpochPoint): void;
  pushBatch(point: BatchPoint): void;
  /** Lets open pages fetch the last points, then stops the server and frees the port. */
  close(): Promise<void>;
}

export interface LivePlotOptions {
  /** Open the page in the default browser (default: where there is a display). */
  open?: boolean;
  /** Default 0: a free port. */
  port?: number;
}

/** Weight of the past in the batch loss's exponential moving average. */
const SMOOTHING = 0.9;
/** The batch curve is sent at most this often: each update resends the whole curve. */
const BATCH_UPDATE_MS = 1000;
/** How long `close` waits for open pages to fetch their last update. */
const DRAIN_MS = 2000;

/** Whether a browser could be shown: on Linux and the BSDs, an X11 or Wayland display. */
export function hasDisplay(): boolean {
  if (Deno.build.os === "darwin" || Deno.build.os === "windows") return true;
  return Boolean(Deno.env.get("DISPLAY") || Deno.env.get("WAYLAND_DISPLAY"));
}

/** Starts the browser without waiting for it; a failure only costs a warning. */
function openBrowser(url: string): void {
  const [command, ...args] = Deno.build.os === "darwin"
    ? ["open", url]
    : Deno.build.os === "windows"
    ? ["cmd", "/c", "start", "", url]
    : ["xdg-open", url];
  const warn = (why: string) => console.warn(`could not open a browser (${why}); open ${url}`);
  try {
    const child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // The run must not wait for the browser.
    child.unref();
    child.status.then((s) => s.success || warn(`${command} exited with ${s.code}`));
  } catch (e) {
    warn(`${command}: ${(e as Error).message}`);
  }
}

/** A run's two plots: loss (smoothed batch loss, train and test per epoch) and accuracy. */
class RunPlots {
  readonly loss$: BehaviorSubject<Plot[]>;
  readonly accuracy$: BehaviorSubject<Plot[]>;
  readonly #batchX: number[] = [];
  readonly #batchY: number[] = [];
  readonly #epochs: EpochPoint[] = [];
  #average = 0;
  #weight = 0;
  #lastUpdate = -Infinity;

  constructor(readonly run: string) {
    this.loss$ = new BehaviorSubject(this.#lossTraces());
    this.accuracy$ = new BehaviorSubject(this.#accuracyTraces());
  }

  batch(p: BatchPoint): void {
    this.#average = SMOOTHING * this.#average + (1 - SMOOTHING) * p.loss;
    this.#weight = SMOOTHING * this.#weight + (1 - SMOOTHING);
    // x in epochs, so that epoch k's points sit at the end of its batches.
    this.#batchX.push(p.epoch - 1 + p.batch / p.batches);
    // Divided by the weights' sum, so the first batches are not pulled towards 0.
    this.#batchY.push(this.#average / this.#weight);
    const now = performance.now();
    if (now - this.#lastUpdate < BATCH_UPDATE_MS) return;
    this.#lastUpdate = now;
    this.loss$.next(this.#lossTraces());
  }

  epoch(p: EpochPoint): void {
    this.#epochs.push(p);
    this.#lastUpdate = performance.now();
    this.loss$.next(this.#lossTraces());
    this.accuracy$.next(this.#accuracyTraces());
  }

  /** One trace per field, over the epochs that have it. */
  #epochTrace(name: string, field: keyof EpochPoint, dash?: "dot"): Plot {
    const points = this.#epochs.filter((p) => p[field] !== undefined);
    return {
      name,
      type: "scatter",
      mode: "lines+markers",
      x: points.map((p) => p.epoch),
      y: points.map((p) => p[field] as number),
      line: dash ? { dash } : {},
    };
  }

  #lossTraces(): Plot[] {
    return [
      {
        name: "batch loss (smoothed)",
        type: "scatter",
        mode: "lines",
        x: [...this.#batchX],
        y: [...this.#batchY],
        opacity: 0.5,
      },
      this.#epochTrace("train loss", "trainLoss", "dot"),
      this.#epochTrace("test loss", "testLoss"),
    ];
  }

  #accuracyTraces(): Plot[] {
    return [
      this.#epochTrace("train accuracy", "trainAccuracy", "dot"),
      this.#epochTrace("test accuracy", "testAccuracy"),
    ];
  }
}

function layout(title: string, yTitle: string, tickformat?: string): Layout {
  return {
    title,
    xaxis: { title: "epoch", rangemode: "tozero" },
    yaxis: { title: yTitle, tickformat },
  };
}

/** The gateway's socket.io clients; nodeplotlib keeps them in a private map. */
interface EngineSocket {
  writeBuffer: unknown[];
  once(event: "drain", listener: () => void): void;
}
function clientsOf(gateway: PlotsGateway): EngineSocket[] {
  const map = (gateway as unknown as { clientMap: Map<{ conn: EngineSocket }, number> }).clientMap;
  return [...map.keys()].map((client) => client.conn);
}

/** Starts nodeplotlib's server on 127.0.0.1 and, if asked, opens its page. */
export async function startLivePlot(options: LivePlotOptions = {}): Promise<LivePlot> {
  const port = options.port ?? 0;
  const app: INestApplication = await NestFactory.create(ServerModule, {
    logger: ["error", "warn"],
  });
  try {
    await app.listen(port, "127.0.0.1");
  } catch (e) {
    await app.close();
    throw new Error(`live plot: cannot listen on 127.0.0.1:${port} (${(e as Error).message})`);
  }
  const service = app.get(PlotsService);
  const gateway = app.get(PlotsGateway);
  const url = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  if (options.open ?? hasDisplay()) openBrowser(url);

  const runs = new Map<string, RunPlots>();
  const plotsOf = (run: string): RunPlots => {
    let plots = runs.get(run);
    if (!plots) {
      plots = new RunPlots(run);
      runs.set(run, plots);
      const loss = layout(`${run}: loss`, "loss");
      const accuracy = layout(`${run}: accuracy`, "accuracy", ".0%");
      service.addPlot({ data: plots.loss$, layout: of(loss), config: undefined });
      service.addPlot({ data: plots.accuracy$, layout: of(accuracy), config: undefined });
    }
    return plots;
  };

  let closing: Promise<void> | undefined;
  return {
    url,
    pushEpoch: (p) => plotsOf(p.run).epoch(p),
    pushBatch: (p) => plotsOf(p.run).batch(p),
    close: () =>
      closing ??= (async () => {
        const pending = clientsOf(gateway).filter((c) => c.writeBuffer.length > 0);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          Promise.all(pending.map((c) => new Promise<void>((done) => c.once("drain", done)))),
          new Promise<void>((done) => timer = setTimeout(done, DRAIN_MS)),
        ]);
        clearTimeout(timer);
        await app.close();
      })(),
  };
}
