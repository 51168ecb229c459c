export {
  assignCoPartitioned,
  CO_PARTITIONED_ASSIGNER_NAME,
  CoPartitionedAssigner,
} from './assigner.ts';
export { offsetsAtTime, topicOffsets, type KafkaAdmin } from './admin.ts';
export {
  createKafka,
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
  isRecordTooLarge,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
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
