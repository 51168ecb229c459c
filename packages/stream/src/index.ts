export {
  assignCoPartitioned,
  CO_PARTITIONED_ASSIGNER_NAME,
  CoPartitionedAssigner,
} from './assigner.ts';
export { offsetsAtTime, topicOffsets, type KafkaAdmin } from './admin.ts';
export { BROKER_PROBE_DEFAULTS, BrokerProbe, type BrokerProbeOptions } from './broker-probe.ts';
export {
  createKafka,
  isKafkaAuthenticationError,
  kafkaAuthenticationHint,
  quietKafkaLogs,
  type KafkaClient,
  type KafkaConsumer,
  type KafkaProducer,
} from './client.ts';
export {
  fetchEndOffsets,
  PartitionedConsumer,
  type Assignment,
  type BatchControl,
  type InputBatch,
  type InputMessage,
  type PartitionedConsumerHandlers,
  type PartitionedConsumerOptions,
} from './consumer.ts';
export { ReliableProducer, type OutputRecord } from './producer.ts';
export {
  fetchMaxMessageBytes,
  isRecordTooLarge,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  produceBudgetBytes,
  recordSizeUpperBound,
  splitBySize,
} from './record-size.ts';
export {
  TOPICS,
  defaultTopicLayout,
  initTopics,
  planTopics,
  type InitTopicsResult,
  type TopicLayout,
  type TopicPlan,
} from './topics.ts';
export { murmur2, partitionForKey, topicPartitionCount } from './partitioner.ts';
export {
  ClusterInspector,
  type GroupDescription,
  type GroupMember,
  type LogOffsets,
} from './inspector.ts';
