package pulse.peer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time drives the stream: a valid event's occurredAt; a bad record keeps the partition's
 * time (it must not move the clock).
 */
public final class EventTimeExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof Event event && event.valid()) return event.occurredAtMs();
    return Math.max(partitionTime, 0L);
  }
}
