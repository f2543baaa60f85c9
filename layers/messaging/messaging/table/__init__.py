"""The single DynamoDB table's shape: keys, items to and from domain records, stream records, paging."""
