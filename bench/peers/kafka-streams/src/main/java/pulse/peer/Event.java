package pulse.peer;

/**
 * One input record as the deserializer left it: a valid visit or purchase, or the reason it is
 * not one (it then goes to the dead-letter topic, never stops the stream).
 */
public record Event(
    boolean purchase,
    String eventId,
    String customerId,
    long occurredAtMs,
    long amountMinor,
    String errorKind,
    String errorMessage) {

  static Event invalid(String kind, String message) {
    return new Event(false, null, null, -1L, 0L, kind, message);
  }

  boolean valid() {
    return errorKind == null;
  }
}
