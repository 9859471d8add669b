this is not valid either
