// The drawing page: a 280×280 canvas read as 28×28 (each pixel the mean of a 10×10 block, as
// MNIST's white-on-black digits), classified on each stroke by every model in demo.json: in
// TensorFlow.js, and the ONNX files in ONNX Runtime Web (its wasm build, served from /ort/).
/* global tf, ort */
ort.env.wasm.wasmPaths = "/ort/";
// Threads need a cross-origin-isolated page (SharedArrayBuffer); this one is not, so one thread.
ort.env.wasm.numThreads = 1;
const pad = document.getElementById("pad");
const ctx = pad.getContext("2d", { willReadFrequently: true });
const statusLine = document.getElementById("status");
const SIDE = 28;
const BLOCK = pad.width / SIDE;

function clearPad() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
}

/** The canvas as 28×28 pixel values 0–255 (red channel; the drawing is grey). */
function readPixels() {
  const rgba = ctx.getImageData(0, 0, pad.width, pad.height).data;
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < pad.height; y++) {
    for (let x = 0; x < pad.width; x++) {
      const cell = Math.floor(y / BLOCK) * SIDE + Math.floor(x / BLOCK);
      out[cell] += rgba[(y * pad.width + x) * 4];
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= BLOCK * BLOCK;
  return out;
}

/** Paints 28×28 pixel values (0–255) as 10×10 blocks, so readPixels gives them back exactly. */
function drawPixels(pixels) {
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = Math.round(pixels[i]);
    ctx.fillStyle = `rgb(${v},${v},${v})`;
    ctx.fillRect((i % SIDE) * BLOCK, Math.floor(i / SIDE) * BLOCK, BLOCK, BLOCK);
  }
}

let manifest;
const loaded = [];
const sessions = [];

function panel(title, meta) {
  const div = document.createElement("div");
  div.className = "model";
  div.innerHTML = `<h2>${title}</h2><div class="meta">${meta}</div><div class="guess">–</div>` +
    `<div class="latency meta"></div><div class="probs"></div>`;
  document.getElementById("models").append(div);
  return div;
}

/** Shows one model's probabilities and time in its panel; returns the predicted class. */
function show(div, probs, ms) {
  let predicted = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c] > probs[predicted]) predicted = c;
  div.querySelector(".guess").textContent = String(predicted);
  div.querySelector(".latency").textContent = `${ms.toFixed(2)} ms for this prediction`;
  div.querySelector(".probs").innerHTML = Array.from(
    probs,
    (p, c) =>
      `<div class="row${c === predicted ? " top" : ""}"><span>${c}</span>` +
      `<span class="bar" style="width:${(p * 200).toFixed(1)}px"></span>` +
      `<span>${(100 * p).toFixed(1)} %</span></div>`,
  ).join("");
  return predicted;
}

function softmax(logits) {
  const max = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * Runs every model on the canvas; returns { name, runtime, predicted, probabilities, ms } for
 * each, the tfjs models first.
 */
async function classify() {
  const pixels = readPixels();
  const results = loaded.map(({ meta, model, div }) => {
    const t0 = performance.now();
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(pixels, [1, SIDE, SIDE, 1]).mul(manifest.pixelScale);
      return tf.softmax(model.predict(x)).dataSync();
    });
    const ms = performance.now() - t0;
    const predicted = show(div, probs, ms);
    return { name: meta.name, runtime: "TensorFlow.js", predicted, probabilities: [...probs], ms };
  });
  for (const { meta, session, div } of sessions) {
    const x = new ort.Tensor(
      "float32",
      pixels.map((v) => v * manifest.pixelScale),
      [1, SIDE, SIDE, 1],
    );
    const t0 = performance.now();
    const out = await session.run({ [session.inputNames[0]]: x });
    const probs = softmax(out[session.outputNames[0]].data);
    const ms = performance.now() - t0;
    const predicted = show(div, probs, ms);
    results.push({
      name: meta.name,
      runtime: "ONNX Runtime Web",
      predicted,
      probabilities: probs,
      ms,
    });
  }
  return results;
}

// Strokes arrive faster than an ONNX run ends: one run at a time, then one more for the latest.
let running = false;
let again = false;
async function reclassify() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  do {
    again = false;
    await classify();
  } while (again);
  running = false;
}

async function start() {
  clearPad();
  manifest = await (await fetch("/models/demo.json")).json();
  for (const meta of manifest.models) {
    const model = await tf.loadLayersModel(`/models/${meta.path}/model.json`);
    const about =
      `TensorFlow.js · ${meta.format} weights, ${(meta.weightsBytes / 1024).toFixed(1)} ` +
      `KiB, ${(100 * meta.testAccuracy).toFixed(2)} % on ${manifest.testImages} test digits`;
    loaded.push({ meta, model, div: panel(meta.name, about) });
  }
  for (const meta of manifest.onnx) {
    const session = await ort.InferenceSession.create(`/models/${meta.path}`, {
      executionProviders: ["wasm"],
    });
    const about = `ONNX Runtime Web (wasm) · ${meta.format} ONNX file, ` +
      `${(meta.bytes / 1024).toFixed(1)} KiB`;
    sessions.push({ meta, session, div: panel(`${meta.name} · ONNX`, about) });
  }
  statusLine.textContent = `ready (tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}; ` +
    `ONNX Runtime Web ${ort.env.versions.web})`;
  await classify();
}

let drawing = false;
function stroke(e) {
  const r = pad.getBoundingClientRect();
  ctx.lineTo(e.clientX - r.left, e.clientY - r.top);
  ctx.stroke();
}
pad.addEventListener("pointerdown", (e) => {
  drawing = true;
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 22;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  const r = pad.getBoundingClientRect();
  ctx.moveTo(e.clientX - r.left, e.clientY - r.top);
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  stroke(e);
  if (loaded.length) reclassify();
});
globalThis.addEventListener("pointerup", () => {
  if (drawing && loaded.length) reclassify();
  drawing = false;
});
document.getElementById("clear").addEventListener("click", () => {
  clearPad();
  if (loaded.length) reclassify();
});

// For scripted checks (the browser test): wait for `ready`, draw, classify.
globalThis.demo = { ready: start(), drawPixels, readPixels, classify, clear: clearPad };
