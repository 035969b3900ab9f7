/**
 * The contract every campaign keeps (issues 9 and 10): it tries N hostile inputs and says how many
 * the system held and how many broke it, plus figures of its own. held + broken = tried.
 */
export interface CampaignFigures {
  tried: number;
  held: number;
  broken: number;
  /** A campaign's own figures (counts, peaks, examples of what broke). */
  [figure: string]: unknown;
}

/** A campaign is a file scripts/campaigns/<name>.ts exporting `campaign`. */
export type Campaign = () => Promise<CampaignFigures>;

export interface CampaignModule {
  campaign: Campaign;
}

/** The one JSON line the runner prints, and whether it counts as broken. */
export function campaignLine(name: string, figures: CampaignFigures): { line: string; broken: boolean } {
  const consistent = figures.held + figures.broken === figures.tried;
  const doc = consistent ? { campaign: name, ...figures } : { campaign: name, ...figures, error: 'held + broken does not equal tried' };
  return { line: JSON.stringify(doc), broken: figures.broken > 0 || !consistent };
}
