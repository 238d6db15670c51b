/**
 * What MessagingRuntime needs of a transport's server besides Nest's listen()/close():
 * delivery begins only once the application is initialised, and stops before it tears down.
 */
export interface EventServer {
  /** Begins handing messages to handlers (called after every onModuleInit hook has run). */
  startDelivering(): Promise<void>;
  /** Stops taking messages and waits for the handlers in flight (idempotent). */
  stopDelivering(): Promise<void>;
}
