import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodePerson,
  formatPeopleTsv,
  loadPeople,
  loadPeopleTsv,
  parsePeopleTsv,
  PEOPLE_CLASSES,
  PEOPLE_FILES,
  syntheticPeople,
} from "../lib/data/people.ts";

const SAMPLE = [
  "# sex age s1 s2 s3 income politics",
  "1\t0.24\t1\t0\t0\t0.2950\t2",
  "-1\t0.39\t0\t0\t1\t0.5120\t1",
  "",
  "1   0.63 0 1 0 0.7580 0   # spaces and a trailing comment",
  "-1\t0.36\t1\t0\t0\t0.4450\t1\r",
].join("\n");

Deno.test("parsePeopleTsv reads the 7-column format with tabs, spaces and comments", () => {
  const ds = parsePeopleTsv(SAMPLE, "people_train.txt");
  assert.equal(ds.size, 4);
  assert.deepEqual(ds.shape, [6]);
  assert.deepEqual(ds.classNames, ["conservative", "moderate", "liberal"]);
  assert.ok(ds.x instanceof Float32Array);
  assert.deepEqual([...ds.y], [2, 1, 0, 1]);
  assert.deepEqual([...ds.x.subarray(0, 6)], [...Float32Array.from([1, 0.24, 1, 0, 0, 0.295])]);
  assert.deepEqual([...ds.x.subarray(6, 12)], [...Float32Array.from([-1, 0.39, 0, 0, 1, 0.512])]);
  assert.match(ds.source, /people_train\.txt/);
});

Deno.test("loadPeopleTsv reads a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "people_test.txt");
    await Deno.writeTextFile(path, SAMPLE);
    const ds = await loadPeopleTsv(path);
    assert.equal(ds.size, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parsePeopleTsv names file and line for bad rows", () => {
  assert.throws(
    () => parsePeopleTsv("1 0.24 1 0 0 0.2950 2\n1 0.24 1 0 0 0.2950\n", "a.txt"),
    /a\.txt:2: expected 7 columns \(sex age s1 s2 s3 income politics\), got 6; separate fields/,
  );
  assert.throws(
    () => parsePeopleTsv("# header\n1 0.24 1 0 0 abc 2\n", "b.txt"),
    /b\.txt:2: column 6 \(income\) is "abc", not a number; every field must be numeric/,
  );
  assert.throws(
    () => parsePeopleTsv("1 0.24 1 0 0 0.2950 3\n", "c.txt"),
    /c\.txt:1: politics label is 3, expected 0 \(conservative\), 1 \(moderate\) or 2 \(liberal\)/,
  );
  assert.throws(
    () => parsePeopleTsv("1 0.24 1 0 0 0.2950 1.5\n", "d.txt"),
    /d\.txt:1: politics label is 1\.5/,
  );
  assert.throws(() => parsePeopleTsv("# nothing\n\n", "e.txt"), /e\.txt: no data rows/);
});

Deno.test("syntheticPeople: 200/40 rows, schema, all classes, seeded", () => {
  const { train, test } = syntheticPeople({ seed: 7 });
  assert.equal(train.size, 200);
  assert.equal(test.size, 40);
  assert.deepEqual(train.shape, [6]);
  assert.deepEqual(train.classNames, PEOPLE_CLASSES);
  assert.ok(train.x instanceof Float32Array);
  for (const ds of [train, test]) {
    assert.deepEqual(new Set(ds.y), new Set([0, 1, 2]), `${ds.name} lacks a class`);
    for (let i = 0; i < ds.size; i++) {
      const [sex, age, s1, s2, s3, income] = ds.x.subarray(i * 6, i * 6 + 6);
      assert.ok(sex === 1 || sex === -1);
      assert.ok(age >= 0.18 - 1e-6 && age <= 0.68 + 1e-6);
      assert.equal(s1 + s2 + s3, 1);
      assert.ok(income >= 0.18 - 1e-6 && income <= 0.85 + 1e-6);
    }
  }
  const again = syntheticPeople({ seed: 7 });
  const bytes = (a: Float32Array | Uint8Array) =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  assert.deepEqual(bytes(again.train.x), bytes(train.x));
  assert.deepEqual(again.train.y, train.y);
  assert.deepEqual(bytes(again.test.x), bytes(test.x));
  const other = syntheticPeople({ seed: 8 });
  assert.notDeepEqual(bytes(other.train.x), bytes(train.x));
  assert.equal(syntheticPeople({ trainSize: 50, testSize: 5 }).train.size, 50);
  assert.throws(() => syntheticPeople({ trainSize: 0 }), /trainSize must be a positive integer/);
});

Deno.test("synthetic people round-trip through the TSV format", () => {
  const { train } = syntheticPeople({ seed: 3 });
  const text = formatPeopleTsv(train);
  assert.match(text.split("\n")[0], /^-?1\t0\.\d\d\t[01]\t[01]\t[01]\t0\.\d{4}\t[012]$/);
  const back = parsePeopleTsv(text, "round-trip.txt");
  assert.deepEqual(back.x, train.x);
  assert.deepEqual(back.y, train.y);
});

Deno.test("synthetic people are learnable but noisy", () => {
  // Softmax regression on a large sample: well above chance, well below 100 %
  // (the generating rule's Bayes-optimal accuracy is about 79 %).
  const { train, test } = syntheticPeople({ seed: 11, trainSize: 3000, testSize: 3000 });
  const w = new Float64Array(7 * 3);
  const scores = (x: Float32Array, i: number) =>
    [0, 1, 2].map((c) => {
      let s = w[6 * 3 + c];
      for (let j = 0; j < 6; j++) s += x[i * 6 + j] * w[j * 3 + c];
      return s;
    });
  const x = train.x as Float32Array;
  for (let epoch = 0; epoch < 30; epoch++) {
    for (let i = 0; i < train.size; i++) {
      const s = scores(x, i);
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e[0] + e[1] + e[2];
      for (let c = 0; c < 3; c++) {
        const g = e[c] / z - (train.y[i] === c ? 1 : 0);
        for (let j = 0; j < 6; j++) w[j * 3 + c] -= 0.1 * g * x[i * 6 + j];
        w[6 * 3 + c] -= 0.1 * g;
      }
    }
  }
  let correct = 0;
  for (let i = 0; i < test.size; i++) {
    const s = scores(test.x as Float32Array, i);
    if (s.indexOf(Math.max(...s)) === test.y[i]) correct++;
  }
  const accuracy = correct / test.size;
  assert.ok(accuracy > 0.6 && accuracy < 0.85, `accuracy ${accuracy}`);
});

Deno.test("decodePerson gives years, dollars, the state and the class", () => {
  const ds = parsePeopleTsv(SAMPLE, "sample.txt");
  assert.deepEqual(decodePerson(ds, 0), {
    sex: "female",
    age: 24,
    state: "Michigan",
    income: 29_500,
    politics: "liberal",
  });
  assert.deepEqual(decodePerson(ds, 1), {
    sex: "male",
    age: 39,
    state: "Oklahoma",
    income: 51_200,
    politics: "moderate",
  });
  assert.equal(decodePerson(ds, 2).state, "Nebraska");
  assert.throws(() => decodePerson(ds, 4), /has rows 0\.\.3, not 4/);
  const { train } = syntheticPeople();
  const mnistLike = { ...train, shape: [28, 28, 1] };
  assert.throws(() => decodePerson(mnistLike, 0), /not a people dataset/);
});

Deno.test("loadPeople: the files of KD_PEOPLE_DIR (or dir), else the synthetic set", async () => {
  const previous = Deno.env.get("KD_PEOPLE_DIR");
  const dir = await Deno.makeTempDir();
  try {
    Deno.env.delete("KD_PEOPLE_DIR");
    const synthetic = await loadPeople();
    assert.deepEqual(synthetic.train.x, syntheticPeople({ seed: 0 }).train.x);
    assert.equal(synthetic.test.size, 40);
    assert.equal(synthetic.original, false);

    await Deno.writeTextFile(join(dir, PEOPLE_FILES.train), SAMPLE);
    await assert.rejects(loadPeople({ dir }), /people_test\.txt not found: KD_PEOPLE_DIR/);
    await Deno.writeTextFile(join(dir, PEOPLE_FILES.test), "1 0.5 0 1 0 0.5 0\n");
    Deno.env.set("KD_PEOPLE_DIR", dir);
    const original = await loadPeople();
    assert.equal(original.train.size, 4);
    assert.equal(original.test.size, 1);
    assert.equal(original.original, true);
    assert.match(original.train.source, /people_train\.txt/);
  } finally {
    if (previous === undefined) Deno.env.delete("KD_PEOPLE_DIR");
    else Deno.env.set("KD_PEOPLE_DIR", previous);
    await Deno.remove(dir, { recursive: true });
  }
});
