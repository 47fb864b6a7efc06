/** The scripts' typed errors: a stable `code` to branch on, a message for people, the class's name as `name`. */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
