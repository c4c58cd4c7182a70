/**
 * The LDAP Assertion control (RFC 4528): the server carries out the operation only while the entry matches
 * the filter, else it answers assertionFailed (122: the error kind `assertion-failed`) and changes nothing. It makes "delete this entry if it
 * is still mine" one atomic step.
 */
import { BerWriter, Control, type Filter } from 'ldapts';

export const ASSERTION_CONTROL_OID = '1.3.6.1.1.12';

export class AssertionControl extends Control {
  constructor(private readonly assertion: Filter) {
    // Critical: a server that does not know the control must refuse, not ignore it and delete anyway.
    super(ASSERTION_CONTROL_OID, { critical: true });
  }

  /** The control's value is the filter, BER-encoded, in an OCTET STRING. */
  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    this.assertion.write(value);
    writer.writeBuffer(value.buffer, 0x04);
  }
}
