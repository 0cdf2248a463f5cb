export { describeSourceConformance, type SourceFixture, type SourceHarness } from './source-suite';
export { describeTargetConformance, type TargetFixture, type TargetHarness } from './target-suite';
export { caught, chunksOf, collect, patternBytes, sha256Hex, withHandles } from './fixtures';
export { type SmallDisk, mountSmallDisk } from './small-disk';
