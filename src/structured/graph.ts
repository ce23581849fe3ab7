/**
 * Channel dependency graph for structured pruning. The graph itself lives in src/graph (one module
 * owns "which layer feeds which unit", shared with unstructured LAP); this file re-exports it.
 */
export {
  buildChannelGraph,
  prunableGroups,
  keptPositions,
  keptWidth,
  keptLastDim,
  type Segment,
  type ChannelSpace,
  type LayerRole,
  type LayerInfo,
  type GroupMember,
  type ChannelGroup,
  type ChannelGraph,
  type UnitTerm,
} from '../graph/channel-graph.js';
