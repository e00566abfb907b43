// Failure types shared by activities and workflows (no imports: the workflow bundle takes this file whole).

/** The ApplicationFailure type of a WARC that cannot be read whatever the retries. */
export const UNREADABLE_INPUT = 'UnreadableInput'
