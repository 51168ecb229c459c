package pulse.peer;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams peer of `pulse bench`: one stream thread, exactly-once v2, the profiles in
 * RocksDB (or in memory where RocksDB's native library does not load), signals and dead letters
 * to topics of its own. Configured by environment variables (PEER_*); runs until SIGTERM, then
 * closes cleanly and prints one JSON line of what it did.
 */
public final class PeerApp {
  private PeerApp() {}

  public static void main(String[] args) throws InterruptedException {
    String visits = required("PEER_VISITS_TOPIC");
    String purchases = required("PEER_PURCHASES_TOPIC");
    long latenessMs = Long.parseLong(System.getenv().getOrDefault("PEER_LATENESS_MS", "172800000"));
    String store = chooseStore(System.getenv().getOrDefault("PEER_STORE", "auto"));
    Counters counters = new Counters();

    Topology topology = new Topology();
    topology.addSource(
        "inputs", Serdes.String().deserializer(), new EventDeserializer(purchases), visits, purchases);
    topology.addProcessor(
        "profiler", () -> new ProfileProcessor(latenessMs, counters), "inputs");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            supplier(store, ProfileProcessor.PROFILES), Serdes.String(), new ProfileSerde()),
        "profiler");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            supplier(store, ProfileProcessor.DUE), Serdes.Bytes(), Serdes.ByteArray()),
        "profiler");
    topology.addSink(
        ProfileProcessor.SIGNALS_SINK,
        required("PEER_SIGNALS_TOPIC"),
        Serdes.String().serializer(),
        Serdes.String().serializer(),
        "profiler");
    topology.addSink(
        ProfileProcessor.DEAD_LETTER_SINK,
        required("PEER_DLQ_TOPIC"),
        Serdes.String().serializer(),
        Serdes.String().serializer(),
        "profiler");

    Properties config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, required("PEER_APPLICATION_ID"));
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, required("PEER_BOOTSTRAP_SERVERS"));
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    config.put(StreamsConfig.STATE_DIR_CONFIG, required("PEER_STATE_DIR"));
    config.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    config.put(
        StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, EventTimeExtractor.class.getName());
    config.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    KafkaStreams streams = new KafkaStreams(topology, config);
    CountDownLatch stopped = new CountDownLatch(1);
    int[] exitCode = {0};
    streams.setUncaughtExceptionHandler(
        error -> {
          System.err.println("peer failed: " + error);
          exitCode[0] = 1;
          stopped.countDown();
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING && before == KafkaStreams.State.REBALANCING) {
            System.out.println("{\"peer\":\"running\",\"store\":\"" + store + "\"}");
          }
        });
    Thread main = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopped.countDown();
                  try {
                    main.join(30_000);
                  } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                  }
                }));
    streams.start();
    stopped.await();
    streams.close(Duration.ofSeconds(20));
    System.out.println(counters.toJson(store));
    System.out.flush();
    if (exitCode[0] != 0) System.exit(exitCode[0]);
  }

  private static KeyValueBytesStoreSupplier supplier(String store, String name) {
    return store.equals("rocksdb")
        ? Stores.persistentKeyValueStore(name)
        : Stores.inMemoryKeyValueStore(name);
  }

  /** RocksDB unless asked otherwise or its native library does not load here. */
  private static String chooseStore(String wanted) {
    if (wanted.equals("memory")) return "memory";
    try {
      org.rocksdb.RocksDB.loadLibrary();
      return "rocksdb";
    } catch (Throwable error) {
      if (wanted.equals("rocksdb")) throw new IllegalStateException("RocksDB does not load", error);
      System.err.println("RocksDB's native library does not load (" + error + "): in-memory stores");
      return "memory";
    }
  }

  private static String required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) throw new IllegalArgumentException(name + " is not set");
    return value;
  }
}
