export { createKafka } from './client.ts';
export {
  TOPICS,
  defaultTopicLayout,
  initTopics,
  planTopics,
  type InitTopicsResult,
  type TopicLayout,
  type TopicPlan,
} from './topics.ts';
