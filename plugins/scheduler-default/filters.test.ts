import { describe, expect, it } from 'vitest';
import type { FilterPlugin, NodeInfo, SchedulingPod } from '../../sdk/scheduler.ts';
import { makeNode, makePod, newState, nodeInfo } from './fixtures.ts';
import { nodeAffinity } from './node-affinity.ts';
import { nodeName, nodePorts, nodeUnschedulable } from './node-basics.ts';
import { nodeResourcesFit } from './resources.ts';
import { taintToleration } from './taint-toleration.ts';

type Case = [string, FilterPlugin, SchedulingPod, NodeInfo, string, string[]];

const small = makeNode('n1', { cpu: '1', memory: '1Gi', pods: '2' });
const zoneA = makeNode('n1', { labels: { zone: 'a', disk: 'ssd', gen: '5' } });
const tainted = makeNode('n1', {
  taints: [
    { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    { key: 'soft', value: 'x', effect: 'PreferNoSchedule' },
  ],
});
const required = (expr: { key: string; operator: string; values?: string[] }) => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [expr] }],
    },
  },
});

const cases: Case[] = [
  [
    'unschedulable node refuses',
    nodeUnschedulable,
    makePod('p'),
    nodeInfo(makeNode('n1', { unschedulable: true })),
    'UnschedulableAndUnresolvable',
    ['node(s) were unschedulable'],
  ],
  [
    'unschedulable node admits a tolerating pod',
    nodeUnschedulable,
    makePod('p', {
      tolerations: [
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ],
    }),
    nodeInfo(makeNode('n1', { unschedulable: true })),
    'Success',
    [],
  ],
  ['schedulable node admits', nodeUnschedulable, makePod('p'), nodeInfo(small), 'Success', []],
  [
    'nodeName other node',
    nodeName,
    makePod('p', { nodeName: 'n2' }),
    nodeInfo(small),
    'UnschedulableAndUnresolvable',
    ["node(s) didn't match the requested node name"],
  ],
  [
    'nodeName same node',
    nodeName,
    makePod('p', { nodeName: 'n1' }),
    nodeInfo(small),
    'Success',
    [],
  ],
  [
    'fits cpu and memory',
    nodeResourcesFit,
    makePod('p', { cpu: '500m', memory: '512Mi' }),
    nodeInfo(small, [makePod('q', { cpu: '500m' })]),
    'Success',
    [],
  ],
  [
    'insufficient cpu',
    nodeResourcesFit,
    makePod('p', { cpu: '600m' }),
    nodeInfo(small, [makePod('q', { cpu: '500m' })]),
    'Unschedulable',
    ['Insufficient cpu'],
  ],
  [
    'insufficient cpu and memory',
    nodeResourcesFit,
    makePod('p', { cpu: '2', memory: '2Gi' }),
    nodeInfo(small),
    'Unschedulable',
    ['Insufficient cpu', 'Insufficient memory'],
  ],
  [
    'too many pods',
    nodeResourcesFit,
    makePod('p'),
    nodeInfo(small, [makePod('a'), makePod('b')]),
    'Unschedulable',
    ['Too many pods'],
  ],
  [
    'extended resource missing',
    nodeResourcesFit,
    makePod('p', { requests: { 'example.com/gpu': '1' } }),
    nodeInfo(small),
    'Unschedulable',
    ['Insufficient example.com/gpu'],
  ],
  [
    'extended resource present',
    nodeResourcesFit,
    makePod('p', { requests: { 'example.com/gpu': '1' } }),
    nodeInfo(makeNode('n1', { extra: { 'example.com/gpu': '2' } })),
    'Success',
    [],
  ],
  [
    'nodeSelector matches',
    nodeAffinity,
    makePod('p', { nodeSelector: { zone: 'a' } }),
    nodeInfo(zoneA),
    'Success',
    [],
  ],
  [
    'nodeSelector misses',
    nodeAffinity,
    makePod('p', { nodeSelector: { zone: 'b' } }),
    nodeInfo(zoneA),
    'UnschedulableAndUnresolvable',
    ["node(s) didn't match Pod's node affinity/selector"],
  ],
  [
    'affinity In',
    nodeAffinity,
    makePod('p', { affinity: required({ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }) }),
    nodeInfo(zoneA),
    'Success',
    [],
  ],
  [
    'affinity NotIn',
    nodeAffinity,
    makePod('p', { affinity: required({ key: 'disk', operator: 'NotIn', values: ['ssd'] }) }),
    nodeInfo(zoneA),
    'UnschedulableAndUnresolvable',
    ["node(s) didn't match Pod's node affinity/selector"],
  ],
  [
    'affinity DoesNotExist',
    nodeAffinity,
    makePod('p', { affinity: required({ key: 'gpu', operator: 'DoesNotExist' }) }),
    nodeInfo(zoneA),
    'Success',
    [],
  ],
  [
    'affinity Gt',
    nodeAffinity,
    makePod('p', { affinity: required({ key: 'gen', operator: 'Gt', values: ['4'] }) }),
    nodeInfo(zoneA),
    'Success',
    [],
  ],
  [
    'affinity Lt fails',
    nodeAffinity,
    makePod('p', { affinity: required({ key: 'gen', operator: 'Lt', values: ['4'] }) }),
    nodeInfo(zoneA),
    'UnschedulableAndUnresolvable',
    ["node(s) didn't match Pod's node affinity/selector"],
  ],
  [
    'untolerated NoSchedule taint',
    taintToleration,
    makePod('p'),
    nodeInfo(tainted),
    'UnschedulableAndUnresolvable',
    ['node(s) had untolerated taint {dedicated: gpu}'],
  ],
  [
    'tolerated by Equal',
    taintToleration,
    makePod('p', {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    }),
    nodeInfo(tainted),
    'Success',
    [],
  ],
  [
    'tolerated by Exists without key',
    taintToleration,
    makePod('p', { tolerations: [{ operator: 'Exists' }] }),
    nodeInfo(tainted),
    'Success',
    [],
  ],
  [
    'wrong value does not tolerate',
    taintToleration,
    makePod('p', { tolerations: [{ key: 'dedicated', value: 'cpu', effect: 'NoSchedule' }] }),
    nodeInfo(tainted),
    'UnschedulableAndUnresolvable',
    ['node(s) had untolerated taint {dedicated: gpu}'],
  ],
  [
    'host port taken',
    nodePorts,
    makePod('p', { hostPorts: [8080] }),
    nodeInfo(small, [makePod('q', { hostPorts: [8080] })]),
    'Unschedulable',
    ["node(s) didn't have free ports for the requested pod ports"],
  ],
  [
    'host port free',
    nodePorts,
    makePod('p', { hostPorts: [8081] }),
    nodeInfo(small, [makePod('q', { hostPorts: [8080] })]),
    'Success',
    [],
  ],
];

describe('default filter plugins', () => {
  it.each(cases)('%s', async (_name, plugin, pod, info, code, reasons) => {
    const s = await plugin.filter(newState(), pod, info);
    expect(s.code).toBe(code);
    expect(s.reasons).toEqual(reasons);
  });
});
