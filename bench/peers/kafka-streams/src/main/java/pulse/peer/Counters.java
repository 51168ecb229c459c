package pulse.peer;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What the peer did, printed as one JSON line when it stops (the bench reads it). */
final class Counters {
  final LongAdder events = new LongAdder();
  final LongAdder late = new LongAdder();
  final LongAdder duplicates = new LongAdder();
  final LongAdder deadLetters = new LongAdder();
  private final Map<String, LongAdder> signals = new ConcurrentHashMap<>();

  void signal(String kind) {
    signals.computeIfAbsent(kind, ignored -> new LongAdder()).increment();
  }

  String toJson(String store) {
    StringBuilder json = new StringBuilder("{\"peer\":\"stopped\",\"store\":\"").append(store);
    json.append("\",\"events\":").append(events.sum());
    json.append(",\"lateEvents\":").append(late.sum());
    json.append(",\"duplicates\":").append(duplicates.sum());
    json.append(",\"deadLetters\":").append(deadLetters.sum());
    json.append(",\"signals\":{");
    String separator = "";
    for (Map.Entry<String, LongAdder> entry : new TreeMap<>(signals).entrySet()) {
      json.append(separator).append('"').append(entry.getKey()).append("\":");
      json.append(entry.getValue().sum());
      separator = ",";
    }
    return json.append("}}").toString();
  }
}
