package pulse.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The wire contract's JSON (the events the benchmark produces), checked as the profiler checks
 * it: ids present and at most 128 characters, an ISO-8601 time with an offset, a purchase's
 * order id, non-negative amount and ISO 4217 currency. Never throws: a bad record becomes an
 * invalid Event with a reason.
 */
public final class EventDeserializer implements Deserializer<Event> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
  private final String purchasesTopic;

  public EventDeserializer(String purchasesTopic) {
    this.purchasesTopic = purchasesTopic;
  }

  @Override
  public Event deserialize(String topic, byte[] data) {
    if (data == null) return Event.invalid("undecodable", "no value");
    JsonNode node;
    try {
      node = JSON.readTree(data);
    } catch (IOException error) {
      return Event.invalid("undecodable", "not JSON");
    }
    if (node == null || !node.isObject()) return Event.invalid("undecodable", "not an object");
    String eventId = id(node, "eventId");
    String customerId = id(node, "customerId");
    if (eventId == null || customerId == null) {
      return Event.invalid("invalid-id", "eventId and customerId: 1 to 128 characters");
    }
    JsonNode time = node.get("occurredAt");
    if (time == null || !time.isTextual()) return Event.invalid("schema", "occurredAt missing");
    long occurredAtMs;
    try {
      occurredAtMs = OffsetDateTime.parse(time.asText()).toInstant().toEpochMilli();
    } catch (DateTimeParseException error) {
      return Event.invalid("schema", "occurredAt is not ISO-8601");
    }
    boolean purchase = purchasesTopic.equals(topic);
    long amountMinor = 0L;
    if (purchase) {
      JsonNode amount = node.get("amountMinor");
      JsonNode currency = node.get("currency");
      if (id(node, "orderId") == null
          || amount == null
          || !amount.canConvertToLong()
          || amount.asLong() < 0
          || currency == null
          || !CURRENCY.matcher(currency.asText()).matches()) {
        return Event.invalid("schema", "purchase needs orderId, amountMinor >= 0, currency");
      }
      amountMinor = amount.asLong();
    }
    return new Event(purchase, eventId, customerId, occurredAtMs, amountMinor, null, null);
  }

  private static String id(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) return null;
    String text = value.asText();
    return text.isEmpty() || text.codePointCount(0, text.length()) > 128 ? null : text;
  }
}
