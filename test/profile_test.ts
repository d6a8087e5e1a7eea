import assert from "node:assert/strict";
import { byProfile, profileName } from "../lib/notebook/profile.ts";

Deno.test("KD_PROFILE picks the sizes; full falls back to cpu; a typo is named", () => {
  const before = Deno.env.get("KD_PROFILE");
  try {
    Deno.env.delete("KD_PROFILE");
    assert.equal(profileName(), "cpu");
    const sizes = { quick: 1, cpu: 2 };
    assert.equal(byProfile(sizes, "quick"), 1);
    assert.equal(byProfile(sizes, "full"), 2);
    assert.equal(byProfile({ ...sizes, full: 3 }, "full"), 3);
    Deno.env.set("KD_PROFILE", "fast");
    assert.throws(
      () => profileName(),
      /KD_PROFILE=fast is not a profile; use one of quick, cpu, full/,
    );
  } finally {
    if (before === undefined) Deno.env.delete("KD_PROFILE");
    else Deno.env.set("KD_PROFILE", before);
  }
});
