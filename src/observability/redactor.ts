/** Known token shapes, scrubbed even if nobody registered them (a GitLab token pasted into a URL, say). */
const TOKEN_PATTERNS: RegExp[] = [/\bgl(pat|dt|oas|rt|ptt|ft|cbt|imt|agent|soat|ffct|ctt|wt)-[A-Za-z0-9_.-]{12,}/g];

export const REDACTED = '[REDACTED]';

/**
 * Remembers every secret the run has seen and removes them from any text before it is written.
 * The last line of defence: code also avoids putting secrets into messages in the first place.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short strings would blank out ordinary words; no real credential is this short.
    if (secret && secret.length >= 8) this.secrets.add(secret);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      // JSON-escaped form, for secrets that contain characters JSON escapes.
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
    }
    for (const pattern of TOKEN_PATTERNS) out = out.replace(pattern, REDACTED);
    return out;
  }
}
