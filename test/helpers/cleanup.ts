// Preloaded by bunfig.toml for every `bun test` run. An afterAll here runs once, after the
// last test file: the place to remove what files share across the run (the host release the
// dist tests build, ~650 MB), which no single file may delete while others still use it.
import { afterAll } from "bun:test";
import { removeDistScratch } from "../dist/helpers.ts";
import { removeScratchDirs } from "./tmp.ts";

afterAll(() => {
  removeDistScratch();
  removeScratchDirs();
});
