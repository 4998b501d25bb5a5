import { describe, expect, it } from 'vitest';
import { mapDockerfileFrom } from './dockerfile-from.ts';
import { flagRules } from '../../../test/helpers/image-map.ts';

describe('mapDockerfileFrom', () => {
  const maps = flagRules(['node=werker-test/node', 'golang:1.21=werker-test/tools']);

  it('maps base images, keeping flags and stage names', () => {
    const text = 'FROM --platform=linux/amd64 golang:1.21 AS build\nRUN go build\nFROM node:20\nCOPY --from=build /x /x\n';
    expect(mapDockerfileFrom(text, maps)).toBe('FROM --platform=linux/amd64 werker-test/tools:latest AS build\nRUN go build\nFROM werker-test/node:latest\nCOPY --from=build /x /x\n');
  });

  it('leaves earlier stages, ARG references, scratch and unmapped images alone', () => {
    const text = 'ARG BASE=node\nFROM node AS base\nFROM base\nFROM $BASE\nFROM scratch\nFROM golang:1.22\n';
    expect(mapDockerfileFrom(text, maps)).toBe('ARG BASE=node\nFROM werker-test/node:latest AS base\nFROM base\nFROM $BASE\nFROM scratch\nFROM golang:1.22\n');
  });

  it('changes nothing without maps', () => {
    expect(mapDockerfileFrom('from node\r\n', [])).toBe('from node\r\n');
  });
});
