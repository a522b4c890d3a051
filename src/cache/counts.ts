/** What the artifact cache did in one build. */
export interface ArtifactCounts {
  restored: number;
  stored: number;
  misses: number;
  /** Archives or manifests that failed verification and were thrown away. */
  corrupt: number;
}

export function emptyCounts(): ArtifactCounts {
  return { restored: 0, stored: 0, misses: 0, corrupt: 0 };
}

/** The line printed just before the summary. */
export function cacheLine(counts: ArtifactCounts): string {
  const corrupt = counts.corrupt > 0 ? `, ${counts.corrupt} corrupt (discarded)` : '';
  return `cache: ${counts.restored} restored, ${counts.stored} stored, ${counts.misses} misses${corrupt}`;
}
