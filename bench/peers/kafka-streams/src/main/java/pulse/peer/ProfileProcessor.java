package pulse.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The job, one task per input partition: each event updates its customer's profile (late
 * events only the lifetime totals, repeated event ids nothing) and the customer's due time in
 * a second store ordered by time; a punctuator on stream time lapses every customer whose due
 * time the clock (stream time minus the allowed lateness) has passed. A lapsed customer's next
 * on-time event reactivates them. Bad records go to the dead-letter topic with the reason.
 */
final class ProfileProcessor implements Processor<String, Event, String, String> {
  static final String PROFILES = "profiles";
  static final String DUE = "due";
  static final String SIGNALS_SINK = "signals";
  static final String DEAD_LETTER_SINK = "dead-letters";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final long latenessMs;
  private final Counters counters;
  private ProcessorContext<String, String> context;
  private KeyValueStore<String, Profile> profiles;
  private KeyValueStore<Bytes, byte[]> due;

  ProfileProcessor(long latenessMs, Counters counters) {
    this.latenessMs = latenessMs;
    this.counters = counters;
  }

  @Override
  public void init(ProcessorContext<String, String> context) {
    this.context = context;
    this.profiles = context.getStateStore(PROFILES);
    this.due = context.getStateStore(DUE);
    context.schedule(Duration.ofHours(1), PunctuationType.STREAM_TIME, this::sweep);
  }

  @Override
  public void process(Record<String, Event> record) {
    counters.events.increment();
    Event event = record.value();
    if (!event.valid()) {
      deadLetter(record, event.errorKind(), event.errorMessage());
      return;
    }
    if (!event.customerId().equals(record.key())) {
      deadLetter(record, "key-mismatch", "the record key is not the event's customerId");
      return;
    }
    Profile profile = profiles.get(event.customerId());
    if (profile == null) profile = new Profile();
    if (event.purchase()) {
      profile.purchases += 1;
      profile.moneyMinor += event.amountMinor();
    } else {
      profile.visits += 1;
    }
    long clockMs = context.currentStreamTimeMs() - latenessMs;
    if (event.occurredAtMs() < clockMs) {
      profile.lateEvents += 1;
      counters.late.increment();
      profiles.put(event.customerId(), profile);
      return;
    }
    if (profile.seen(event.eventId())) {
      counters.duplicates.increment();
      return;
    }
    profile.remember(event.eventId());
    int day = (int) Math.floorDiv(event.occurredAtMs(), Rules.DAY_MS);
    profile.activeDays = Profile.withDay(profile.activeDays, day, Profile.ACTIVE_DAYS_KEPT);
    if (event.purchase()) {
      profile.purchaseDays = Profile.withDay(profile.purchaseDays, day, Profile.PURCHASE_DAYS_KEPT);
    }
    if (profile.lapsed) {
      profile.lapsed = false;
      emit(event.customerId(), "reactivated", profile.episode, (long) day * Rules.DAY_MS, profile);
    }
    if (!event.purchase() && Rules.readyToBuy(profile, day)) {
      profile.lastReadyToBuyDay = day;
      emit(event.customerId(), "ready_to_buy", day, event.occurredAtMs(), profile);
    }
    long dueAtMs = Rules.dueAtMs(profile.activeDays);
    if (dueAtMs != profile.dueAtMs) {
      if (profile.dueAtMs >= 0) due.delete(dueKey(profile.dueAtMs, event.customerId()));
      if (dueAtMs >= 0) due.put(dueKey(dueAtMs, event.customerId()), new byte[0]);
      profile.dueAtMs = dueAtMs;
    }
    profiles.put(event.customerId(), profile);
  }

  /** Lapses every customer due at or before the clock, in due order. */
  private void sweep(long streamTimeMs) {
    long clockMs = streamTimeMs - latenessMs;
    List<Bytes> fired = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> entries = due.all()) {
      while (entries.hasNext()) {
        KeyValue<Bytes, byte[]> entry = entries.next();
        if (ByteBuffer.wrap(entry.key.get()).getLong() > clockMs) break;
        fired.add(entry.key);
      }
    }
    for (Bytes key : fired) {
      due.delete(key);
      ByteBuffer buffer = ByteBuffer.wrap(key.get());
      long dueAtMs = buffer.getLong();
      String customerId = StandardCharsets.UTF_8.decode(buffer).toString();
      Profile profile = profiles.get(customerId);
      if (profile == null || profile.lapsed || profile.dueAtMs != dueAtMs) continue;
      profile.lapsed = true;
      profile.episode += 1;
      profile.dueAtMs = -1L;
      emit(customerId, "lapsed", profile.episode, dueAtMs, profile);
      profiles.put(customerId, profile);
    }
  }

  private static Bytes dueKey(long dueAtMs, String customerId) {
    byte[] id = customerId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(dueAtMs).put(id).array());
  }

  private void emit(String customerId, String kind, int sequence, long detectedAtMs, Profile profile) {
    ObjectNode signal = JSON.createObjectNode();
    signal.put("signalId", customerId + ":" + kind + ":" + sequence);
    signal.put("kind", kind);
    signal.put("customerId", customerId);
    signal.put("detectedAt", Instant.ofEpochMilli(detectedAtMs).toString());
    signal.put("emittedAt", Instant.now().toString());
    ObjectNode evidence = signal.putObject("evidence");
    evidence.put("activeDays", profile.activeDays.length);
    evidence.put("purchases", profile.purchases);
    double hurdle = Rules.hurdleDays(profile.activeDays);
    if (!Double.isNaN(hurdle)) evidence.put("hurdleDays", hurdle);
    signal.put("rulesVersion", "kafka-streams-peer");
    context.forward(new Record<>(customerId, signal.toString(), detectedAtMs), SIGNALS_SINK);
    counters.signal(kind);
  }

  private void deadLetter(Record<String, Event> record, String kind, String message) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("pulse-error-kind", kind.getBytes(StandardCharsets.UTF_8));
    headers.add("pulse-error-message", message.getBytes(StandardCharsets.UTF_8));
    context
        .recordMetadata()
        .ifPresent(
            (RecordMetadata source) -> {
              headers.add("pulse-source-topic", source.topic().getBytes(StandardCharsets.UTF_8));
              headers.add(
                  "pulse-source-partition",
                  Integer.toString(source.partition()).getBytes(StandardCharsets.UTF_8));
              headers.add(
                  "pulse-source-offset",
                  Long.toString(source.offset()).getBytes(StandardCharsets.UTF_8));
            });
    context.forward(
        new Record<>(record.key(), "{\"deadLetter\":\"" + kind + "\"}", record.timestamp(), headers),
        DEAD_LETTER_SINK);
    counters.deadLetters.increment();
  }
}
