package bus

// DeadLetterMsgID lets tests publish what a repeated dead-letter attempt
// would publish.
var DeadLetterMsgID = deadLetterMsgID
