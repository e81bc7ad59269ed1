/** Consumer group names (DESIGN.md §8): a stage's group is `${GROUP_PREFIX}.<stage>`. */
export const stageGroupId = (groupPrefix: string, stage: string): string => `${groupPrefix}.${stage}`;
