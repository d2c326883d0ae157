import { UserFacingError } from '@evalgraph/core';

/** Bad generator arguments (unknown reference, bad or taken name): one message that says what to change. */
export class GeneratorError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = 'GeneratorError';
  }
}
