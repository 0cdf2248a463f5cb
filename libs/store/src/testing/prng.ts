export { randomInt, seededRandom } from '@filesync/core';
