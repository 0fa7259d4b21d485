/**
 * What a test started, stopped in reverse order whatever happened: every step runs even when an
 * earlier one throws, or when the setup failed half way (a test that fails must not leave a socat
 * process or a temp folder behind). Failures are reported together at the end.
 */
export class Cleanups {
  private readonly steps: { name: string; fn: () => unknown }[] = [];

  /** Register a step; register it right after the thing it stops has started. */
  add(name: string, fn: () => unknown): void {
    this.steps.push({ name, fn });
  }

  async run(): Promise<void> {
    const errors: Error[] = [];
    for (const { name, fn } of this.steps.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(new Error(`cleanup "${name}" failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      }
    }
    if (errors.length) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
  }
}
